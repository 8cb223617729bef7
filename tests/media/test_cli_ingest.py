"""``flix ingest`` as an operator runs it, Ctrl-C included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from datasources.playback.tables import media_assets
from media.ingest import STAGING
from server.cli.ingest import ingest
from tests.helpers.aio import blocking

pytestmark = pytest.mark.media

# The command on its own, as `flix ingest` mounts it.
cli = typer.Typer()
cli.command()(ingest)
STANDALONE = "import typer; from server.cli.ingest import ingest; typer.run(ingest)"


def _env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {"FLIX_DATABASE_URL": database_url, "FLIX_DATA_DIR": str(data_dir), **extra}


def _assets(database_url: str) -> int:
    async def count() -> int:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                total = await connection.scalar(select(func.count()).select_from(media_assets))
                return int(total or 0)
        finally:
            await engine.dispose()

    return blocking(count())


def test_ingest_command_publishes_and_reports(
    clean_database: str, movie: int, cartoon: Path, tmp_path: Path
) -> None:
    env = _env(clean_database, tmp_path)
    args = [str(cartoon), "--video-id", str(movie), "--segment-seconds", "2"]
    result = CliRunner().invoke(cli, [*args, "--preset", "ultrafast"], env=env)
    assert result.exit_code == 0, result.output
    assert "360p-560k" in result.stdout and "Published" in result.stdout
    published = [p for p in (tmp_path / "media").iterdir() if not p.name.startswith(".")]
    assert len(published) == 1 and (published[0] / "manifest.mpd").is_file()


def test_ingest_command_refuses_bad_requests(
    clean_database: str, movie: int, tmp_path: Path
) -> None:
    env = _env(clean_database, tmp_path)
    runner = CliRunner()
    junk = tmp_path / "junk.mp4"
    junk.write_text("junk")
    result = runner.invoke(cli, [str(junk), "--video-id", str(movie)], env=env)
    assert result.exit_code == 1 and "not a video file" in result.output
    assert runner.invoke(cli, [str(junk)], env=env).exit_code == 2  # no title named
    both = [str(junk), "--video-id", "1", "--episode-id", "1"]
    assert runner.invoke(cli, both, env=env).exit_code == 2
    clearkey = [str(junk), "--video-id", str(movie), "--drm", "clearkey"]
    result = runner.invoke(cli, clearkey, env=env)
    assert result.exit_code == 2 and "FLIX_MEDIA_MASTER_KEY" in result.output
    assert _assets(clean_database) == 0


def test_ctrl_c_leaves_nothing_published(
    clean_database: str, movie: int, cartoon: Path, tmp_path: Path
) -> None:
    env = {**os.environ, **_env(clean_database, tmp_path)}
    args = [str(cartoon), "--video-id", str(movie), "--segment-seconds", "2"]
    process = subprocess.Popen(
        [sys.executable, "-c", STANDALONE, *args, "--preset", "ultrafast"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    staging = tmp_path / "media" / STAGING / f"video-{movie}"
    deadline = time.monotonic() + 60
    while not list(staging.glob("video/*/seg-*.m4s")):  # some segments are written
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "nothing was published" in stderr
    media = tmp_path / "media"
    assert [p.name for p in media.iterdir() if not p.name.startswith(".")] == []
    assert not staging.exists()
    assert _assets(clean_database) == 0
