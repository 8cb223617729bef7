"""An edge (real nginx) in front of a real Flix origin on loopback, over a published asset.

The origin counts the requests that reach it (an ASGI layer in front of the app, so nothing
is stubbed): a test reads how many of its own requests the edge passed on.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from media.manifests import DESCRIPTION_FILE, AssetManifest, Track
from server.app import create_app
from server.edge import EdgeConfig, edge_server, nginx_executable
from server.processes import HOST, free_port
from tests.helpers.aio import blocking
from tests.helpers.live_app import LiveApp
from tests.helpers.stores import delete_streams, settings_for

ASSET = "video-1-edge01"
SEGMENTS = 3
SIGNING_KEY = b"test-signing-key"  # tests/helpers/stores.py's media_signing_key


class CountingOrigin:
    """ASGI layer in front of the app: counts the paths of the HTTP requests it is sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths[scope["path"]] += 1
        await self.app(scope, receive, send)


@dataclass
class Edge:
    url: str
    origin_url: str
    origin: CountingOrigin
    media_root: Path

    def file(self, relative: str) -> bytes:
        return (self.media_root / ASSET / relative).read_bytes()


def _track(height: int) -> Track:
    folder = f"video/{height}p"
    return Track(
        id=f"{height}p",
        codecs="avc1.64001e",
        bandwidth=height * 2000,
        average_bandwidth=height * 1500,
        timescale=1000,
        start=0,
        durations=(2000,) * SEGMENTS,
        init=f"{folder}/init.mp4",
        media=f"{folder}/seg-$Number%05d$.m4s",
        playlist=f"{folder}/playlist.m3u8",
        width=height * 16 // 9,
        height=height,
    )


def publish(media_root: Path) -> None:
    """An asset as ingest leaves it: its description and files (bytes stand in for video)."""
    tracks = (_track(360), _track(240))
    manifest = AssetManifest(
        duration=2.0 * SEGMENTS, segment_seconds=2, video=tracks, audio=None, key_id=None
    )
    folder = media_root / ASSET
    for track in tracks:
        rung = folder / f"video/{track.id}"
        rung.mkdir(parents=True)
        (rung / "init.mp4").write_bytes(bytes(range(256)) * 4)
        for number in range(1, SEGMENTS + 1):
            (rung / f"seg-{number:05d}.m4s").write_bytes(bytes([number]) * 50_000)
    manifest_json = json.dumps(manifest.to_json())
    (folder / DESCRIPTION_FILE).write_text(manifest_json, encoding="utf-8")


@pytest.fixture
def edge(clean_database: str, clean_redis: str, tmp_path: Path) -> Iterator[Edge]:
    if nginx_executable() is None:
        pytest.skip("nginx is not installed (scripts/install installs it: apt-get install nginx)")
    media_root = tmp_path / "media"
    publish(media_root)
    edge_port = free_port()
    edge_url = f"http://{HOST}:{edge_port}"
    settings = settings_for(
        clean_database,
        clean_redis,
        inline_worker=False,
        media_root=media_root,
        media_base_url=edge_url,
    )
    app = create_app(settings)
    origin = CountingOrigin(app)
    live = LiveApp(origin, free_port())  # type: ignore[arg-type]  # any ASGI app serves
    live.start()
    nginx = edge_server(
        EdgeConfig(origin_url=live.url, listen_port=edge_port, data_dir=tmp_path / "edge")
    )
    try:
        nginx.start()
        yield Edge(edge_url, live.url, origin, media_root)
    finally:
        nginx.stop()
        live.stop()
        blocking(delete_streams(settings.events_prefix))
