"""shaka plays AV1 renditions to the end in Chromium: an 8-bit SDR one, and the 2160p
10-bit PQ one of the demo's generated HDR title.

Chromium decodes AV1 in software (dav1d), so no GPU is needed; nor is an HDR display, since
only playing the rendition to its end without an error is checked. The playback query is
asked with ``device: {codecs: ["av01"]}`` alone, so the MPD lists only AV1 video and shaka
cannot fall back to H.264. The encodes are kept tiny: two seconds, one rung per codec,
SVT-AV1 preset 12.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import pytest
from playwright.sync_api import BrowserContext

from media.demo import HDR_PATTERN_EXTERNAL_ID
from media.samples import generate_hdr_pattern
from tests.e2e.conftest import Server
from tests.e2e.flows import gql
from tests.e2e.media import ingest, make_clip, video_id
from tests.e2e.test_peer_players import _viewer, peer_site  # noqa: F401 (a fixture)
from tests.helpers.aio import blocking

pytestmark = pytest.mark.e2e

PLAYBACK = """query($id: ID!) { playback(videoId: $id, device: {codecs: ["av01"]}) {
  dashUrl durationSeconds representations { id height codecs } } }"""
QUICK_AV1 = ("--av1", "--av1-preset", "12", "--max-rungs", "1", "--segment-seconds", "2")


async def _externalvideo_id(database_url: str, external_id: str) -> str:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
    try:
        found = await connection.fetchval(
            "SELECT id FROM videos WHERE external_id = $1", external_id
        )
    finally:
        await connection.close()
    assert found is not None, f"{external_id!r} is not in the demo catalog"
    return str(found)


@pytest.fixture(scope="module")
def av1_titles(e2e_server: Server) -> dict[str, str]:
    """Video ids by kind: "sdr" (a 480p clip) and "hdr" (the generated 4K HDR10 title)."""
    if {"playback"} - e2e_server.schema_fields("Query"):
        pytest.skip("the schema has no `playback` query")
    database_url = e2e_server.env["FLIX_DATABASE_URL"]
    sdr = str(blocking(video_id(database_url, "Heat")))
    hdr = blocking(_externalvideo_id(database_url, HDR_PATTERN_EXTERNAL_ID))
    clip = make_clip(e2e_server.data_dir / "av1-clip.mp4", 2)
    ingest(e2e_server, clip, sdr, *QUICK_AV1)
    # 12 fps: 24 pictures of 4K are enough to prove the path, and decode quickly.
    pattern = blocking(generate_hdr_pattern(e2e_server.data_dir / "hdr.mp4", fps=12))
    ingest(e2e_server, Path(pattern), hdr, *QUICK_AV1)
    return {"sdr": sdr, "hdr": hdr}


@pytest.mark.parametrize(("kind", "height", "depth"), [("sdr", 480, "08"), ("hdr", 2160, "10")])
def test_shaka_plays_an_av1_rendition_to_the_end(
    new_context: Callable[[], BrowserContext],
    e2e_server: Server,
    peer_site: int,  # noqa: F811 (the fixture imported above)
    av1_titles: dict[str, str],
    kind: str,
    height: int,
    depth: str,
) -> None:
    context = new_context()
    _viewer(context)  # a PREMIUM account: 2160p is within its plan
    found = gql(context, PLAYBACK, id=av1_titles[kind])
    assert "errors" not in found, found
    playback = found["data"]["playback"]
    [rendition] = playback["representations"]
    assert rendition["height"] == height and rendition["codecs"].startswith("av01.0.")
    assert rendition["codecs"].split(".")[3] == depth
    if kind == "hdr":
        assert rendition["codecs"].endswith(".09.16.09.0"), rendition  # BT.2020, PQ
    query = {"player": "shaka", "src": e2e_server.url + playback["dashUrl"], "auth": "cookie"}
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"http://127.0.0.1:{peer_site}/player.html?{urlencode(query)}")
    timeout = (playback["durationSeconds"] * 10 + 60) * 1000  # software 4K decoding
    page.wait_for_function(
        "() => ['ended', 'error'].includes(window.peer.state)", timeout=timeout, polling=250
    )
    outcome: dict[str, Any] = page.evaluate("() => window.peer")
    detail = json.dumps({**outcome, "console": console[-15:]}, indent=1)
    assert outcome["state"] == "ended" and not outcome["errors"], detail
    played = page.evaluate(
        "() => { const q = document.getElementById('video').getVideoPlaybackQuality();"
        " return q.totalVideoFrames; }"
    )
    assert played > 0, detail
    print(f"shaka {outcome['version']} played {rendition['codecs']} {height}p to the end")
