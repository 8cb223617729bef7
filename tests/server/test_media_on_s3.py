"""Media on S3: `flix ingest` publishes into the bucket, and /media proxies it from there.

On the supervisor's real S3 server (rclone), with a fresh bucket per test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from core.progress import NoProgress
from datasources.objects import ObjectStoreUnavailable, S3ObjectStore
from datasources.playback import assets
from datasources.playback.assets import MediaAsset
from media.ingest import IngestOptions, ingest
from media.published import object_key
from media.samples import generate_cartoon
from server.cli.ingest import ingest as ingest_command
from server.processes import free_port
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.objects import s3_config, s3_settings, sync_bucket

__all__ = ["sync_bucket"]  # the fixture, used by name below

PLAYBACK = "query($id: ID!) { playback(videoId: $id) { dashUrl hlsUrl } }"
# One rung of a tiny 2 s clip in 2 s segments: an encode of a second or so.
TINY = IngestOptions(preset="ultrafast", segment_seconds=2, max_rungs=1)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    return blocking(generate_cartoon(folder / "tiny.mp4", seconds=2, width=320, height=180))


def _ingest(
    database_url: str, clip: Path, media_root: Path, video_id: int, bucket: S3ObjectStore
) -> MediaAsset:
    async def run() -> MediaAsset:
        engine = create_async_engine(database_url)
        try:
            return await ingest(
                engine, clip, media_root, video_id=video_id, options=TINY, objects=bucket
            )
        finally:
            await engine.dispose()

    return blocking(run())


def _media_files(root: Path) -> list[Path]:
    """What the media root holds but the per-title lock files of .staging."""
    return [p for p in root.rglob("*") if p.is_file() and p.suffix != ".lock"]


@pytest.fixture
def published(
    make_api: Callable[..., Api],
    catalog: dict[str, int],
    clean_database: str,
    clip: Path,
    tmp_path: Path,
    sync_bucket: S3ObjectStore,
) -> tuple[Api, MediaAsset, S3ObjectStore]:
    """Toy Story ingested into the bucket; an API on it, signed in as a viewer."""
    asset = _ingest(clean_database, clip, tmp_path, catalog["Toy Story"], sync_bucket)
    api = make_api(media_root=tmp_path, **s3_settings(sync_bucket.bucket))
    api.viewer_with_profile("ada@example.com")
    return api, asset, sync_bucket


def _urls(api: Api, video_id: int) -> tuple[str, str, str]:
    """The DASH manifest's URL, one media playlist's and one segment's (HLS), all signed."""
    found: dict[str, Any] = api.data(PLAYBACK, id=str(video_id))["playback"]
    master = api.client.get(found["hlsUrl"]).text
    playlist = next(line for line in master.splitlines() if line.startswith("/media"))
    lines = api.client.get(playlist).text.splitlines()
    segment = next(line for line in lines if line.startswith("/media") and ".m4s" in line)
    return found["dashUrl"], playlist, segment


def _key(url: str) -> str:
    return object_key(urlsplit(url).path.removeprefix("/media/"))


def test_ingest_uploads_the_whole_asset_and_keeps_no_media(
    published: tuple[Api, MediaAsset, S3ObjectStore], tmp_path: Path
) -> None:
    _, asset, bucket = published
    assert asset.status == "ready" and asset.storage_path is not None
    stored = blocking(bucket.list(object_key(asset.storage_path)))
    names = {info.key.removeprefix(object_key(asset.storage_path) + "/") for info in stored}
    assert "asset.json" in names and "images/poster.jpg" in names
    assert any(name.startswith("video/") and name.endswith(".m4s") for name in names)
    assert sum(info.size for info in stored) == asset.size_bytes
    assert _media_files(tmp_path) == []  # the web tier holds no media


def test_media_proxies_manifests_and_segments_from_the_bucket(
    published: tuple[Api, MediaAsset, S3ObjectStore], catalog: dict[str, int]
) -> None:
    api, _, bucket = published
    dash, playlist, segment = _urls(api, catalog["Toy Story"])
    mpd = api.client.get(dash)
    assert mpd.status_code == 200 and mpd.headers["content-type"].startswith("application/dash")
    assert "<MPD" in mpd.text
    hls = api.client.get(playlist)
    assert hls.status_code == 200 and "#EXTINF" in hls.text
    answer = api.client.get(segment)
    uploaded = blocking(bucket.get(_key(segment)))
    assert answer.status_code == 200 and answer.content == uploaded
    assert answer.headers["content-type"] == "video/iso.segment"
    assert answer.headers["cache-control"].endswith("immutable")
    assert answer.headers["access-control-allow-origin"] == "*"
    head = api.client.head(segment)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(uploaded))


def test_a_range_is_answered_206_with_its_slice(
    published: tuple[Api, MediaAsset, S3ObjectStore], catalog: dict[str, int]
) -> None:
    api, _, bucket = published
    _, _, segment = _urls(api, catalog["Toy Story"])
    uploaded = blocking(bucket.get(_key(segment)))
    size = len(uploaded)
    part = api.client.get(segment, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == uploaded[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    tail = api.client.get(segment, headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == uploaded[-500:]
    rest = api.client.get(segment, headers={"Range": f"bytes={size - 10}-"})
    assert rest.status_code == 206 and rest.content == uploaded[-10:]
    beyond = api.client.get(segment, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"


def test_a_tampered_or_foreign_link_is_refused(
    published: tuple[Api, MediaAsset, S3ObjectStore], catalog: dict[str, int]
) -> None:
    api, asset, _ = published
    dash, _, segment = _urls(api, catalog["Toy Story"])
    tampered = segment.replace("sig=", "sig=0")
    assert api.client.get(tampered).status_code == 403
    assert api.client.get(dash.replace("exp=", "exp=1")).status_code == 403
    # A segment's signature covers its rung's folder, no other object of the bucket.
    query = urlsplit(segment).query
    assert api.client.get(f"/media/{asset.storage_path}/asset.json?{query}").status_code == 403


def test_the_bucket_away_is_503_unavailable(
    published: tuple[Api, MediaAsset, S3ObjectStore],
    make_api: Callable[..., Api],
    catalog: dict[str, int],
    tmp_path: Path,
) -> None:
    api, _, bucket = published
    dash, playlist, segment = _urls(api, catalog["Toy Story"])
    settings = s3_settings(bucket.bucket)
    settings["s3_endpoint"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    away = make_api(media_root=tmp_path, **settings)
    for url in (dash, playlist, segment):
        answer = away.client.get(url)
        assert answer.status_code == 503, url
        assert answer.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert answer.headers["access-control-allow-origin"] == "*"
    # The playback query reads the asset's description from the bucket too.
    away.viewer_with_profile("bo@example.com")
    body = away.gql(PLAYBACK, id=str(catalog["Toy Story"]))
    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"


def test_ingest_command_publishes_to_the_configured_bucket(
    catalog: dict[str, int],
    clean_database: str,
    clip: Path,
    tmp_path: Path,
    sync_bucket: S3ObjectStore,
) -> None:
    cli = typer.Typer()
    cli.command()(ingest_command)
    settings = s3_settings(sync_bucket.bucket)
    env = {"FLIX_DATABASE_URL": clean_database, "FLIX_DATA_DIR": str(tmp_path)}
    env |= {f"FLIX_{name.upper()}": value for name, value in settings.items()}
    args = [str(clip), "--video-id", str(catalog["Toy Story"]), "--max-rungs", "1"]
    result = CliRunner().invoke(
        cli, [*args, "--preset", "ultrafast", "--segment-seconds", "2"], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"s3://{sync_bucket.bucket}/media/video-" in result.stdout
    assert any(info.key.endswith("/asset.json") for info in blocking(sync_bucket.list("media")))
    assert _media_files(tmp_path / "media") == []


class _CancelAtUpload(NoProgress):
    """Cancels the ingest as its upload starts: what Ctrl-C then does."""

    task: asyncio.Future[Any] | None = None

    def start(self, key: str, description: str, total: float) -> None:
        if key == "upload" and self.task is not None:
            self.task.cancel()


def test_an_interrupted_upload_leaves_no_asset_and_no_objects(
    catalog: dict[str, int],
    clean_database: str,
    clip: Path,
    tmp_path: Path,
    sync_bucket: S3ObjectStore,
) -> None:
    video_id = catalog["Toy Story"]

    async def run() -> tuple[MediaAsset | None, list[Any]]:
        engine = create_async_engine(clean_database)
        try:
            interrupt = _CancelAtUpload()
            options = {"video_id": video_id, "options": TINY, "objects": sync_bucket}
            work = asyncio.ensure_future(
                ingest(engine, clip, tmp_path, progress=interrupt, **options)  # type: ignore[arg-type]
            )
            interrupt.task = work
            with pytest.raises(asyncio.CancelledError):
                await work
            return await assets.get_asset(engine, video_id, None), await sync_bucket.list()
        finally:
            await engine.dispose()

    asset, objects = blocking(run())
    assert asset is None and objects == []
    assert _media_files(tmp_path) == []


def test_a_bucket_away_fails_the_ingest_before_any_encode(
    catalog: dict[str, int], clean_database: str, clip: Path, tmp_path: Path
) -> None:
    away = S3ObjectStore(s3_config("t-away", endpoint=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ObjectStoreUnavailable):
        _ingest(clean_database, clip, tmp_path, catalog["Toy Story"], away)
    assert blocking(_asset(clean_database, catalog["Toy Story"])) is None
    assert _media_files(tmp_path) == []


async def _asset(database_url: str, video_id: int) -> MediaAsset | None:
    engine = create_async_engine(database_url)
    try:
        return await assets.get_asset(engine, video_id, None)
    finally:
        await engine.dispose()
