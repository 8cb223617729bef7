"""Media for the browser tests: a synthetic clip, ingested as a demo title's asset."""

from __future__ import annotations

import subprocess
from pathlib import Path

import asyncpg

from media.ffmpeg import ffmpeg_exe
from tests.e2e.conftest import Server


async def video_id(database_url: str, title: str) -> str:
    """The id of a demo catalog title."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
    try:
        found = await connection.fetchval("SELECT id FROM videos WHERE title = $1", title)
    finally:
        await connection.close()
    assert found is not None, f"{title!r} is not in the demo catalog"
    return str(found)


def make_clip(target: Path, seconds: int) -> Path:
    """A synthetic 480p clip with a moving picture and a tone (no download needed)."""
    subprocess.run(
        [
            ffmpeg_exe(),
            *("-v", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc2=size=854x480:rate=25"),
            *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"),
            *("-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"),
            *("-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(target)),
        ],
        check=True,
        timeout=300,
    )
    return target


def ingest(server: Server, clip: Path, video_id: str, *extra: str) -> None:
    # The fixed ladder and a fast preset: these tests are about the player, not the encoder.
    done = server.flix(
        "ingest",
        str(clip),
        "--video-id",
        video_id,
        "--ladder",
        "fixed",
        "--preset",
        "ultrafast",
        *extra,
    )
    assert done.returncode == 0, (
        f"flix ingest failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    )
