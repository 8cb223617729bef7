"""Players nobody on the team wrote: dash.js 4 and 5, hls.js and shaka, from npm, each
playing a clear and a Clear Key title to the end, in Chromium, from a page on another origin.

The page (tests/e2e/peers/player.html) and the players (tests/e2e/peers/node_modules,
pinned in tests/e2e/peers/package-lock.json, installed by scripts/install) are served from
a second loopback port. The Clear Key titles authenticate their license requests both
ways: with the session cookie from http://127.0.0.1:<peer port> (a listed origin, same
site), and with a bearer token from http://localhost:<peer port> (another site entirely,
where no cookie would be sent). The dash.js players are given no license URL: they must
find it in the MPD.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import BrowserContext
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import Server
from tests.e2e.flows import PASSWORD, gql, unique_email
from tests.e2e.media import ingest, make_clip, video_id
from tests.helpers.aio import blocking

pytestmark = pytest.mark.e2e

PEERS = Path(__file__).resolve().parent / "peers"
CLIP_SECONDS = 6
PLAYBACK = """query($id: ID!) { playback(videoId: $id) {
  dashUrl hlsUrl durationSeconds drm { keySystem licenseUrl } } }"""


@dataclass(frozen=True)
class Titles:
    clear: str
    protected: str


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def peer_site(e2e_server: Server) -> Iterator[int]:
    """The peers' folder over HTTP on the second loopback port (both 127.0.0.1 and localhost)."""
    if not (PEERS / "node_modules" / "dashjs" / "package.json").is_file():
        pytest.skip("the peer players are not installed: run scripts/install (npm ci in peers/)")
    handler = functools.partial(_QuietFiles, directory=str(PEERS))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", e2e_server.peer_port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield e2e_server.peer_port
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def titles(e2e_server: Server) -> Titles:
    if {"playback"} - e2e_server.schema_fields("Query"):
        pytest.skip("the schema has no `playback` query")
    database_url = e2e_server.env["FLIX_DATABASE_URL"]
    clear = str(blocking(video_id(database_url, "GoldenEye")))
    protected = str(blocking(video_id(database_url, "Get Shorty")))
    clip = make_clip(e2e_server.data_dir / "peer-clip.mp4", CLIP_SECONDS)
    ingest(e2e_server, clip, clear)
    ingest(e2e_server, clip, protected, "--drm", "clearkey")
    return Titles(clear=clear, protected=protected)


def _viewer(context: BrowserContext) -> str:
    """A new account with a profile selected, its cookie in ``context``; returns its token."""
    registered = gql(
        context,
        "mutation($i: RegisterInput!) { register(input: $i) { token } }",
        i={"email": unique_email("peer"), "password": PASSWORD, "country": "US", "plan": "PREMIUM"},
    )
    assert "errors" not in registered, registered
    profile = gql(
        context,
        "mutation($i: CreateProfileInput!) { createProfile(input: $i) { id } }",
        i={"name": "Peer", "isKids": False},
    )["data"]["createProfile"]["id"]
    selected = gql(context, "mutation($id: ID!) { selectProfile(id: $id) { id } }", id=profile)
    assert "errors" not in selected, selected
    token: str = registered["data"]["register"]["token"]
    return token


# (player, manifest, how the license request authenticates, whether it gets the license URL)
CASES = [
    ("dashjs5", "dash", "bearer", False),
    ("dashjs4", "dash", "cookie", False),
    ("hlsjs", "hls", "cookie", True),
    ("shaka", "dash", "bearer", False),
    ("shaka", "hls", "cookie", True),
]


@pytest.mark.parametrize("protected", [False, True], ids=["clear", "clearkey"])
@pytest.mark.parametrize(("player", "format", "auth", "given_license"), CASES)
def test_a_peer_player_plays_to_the_end_from_another_origin(
    new_context: Callable[[], BrowserContext],
    e2e_server: Server,
    peer_site: int,
    titles: Titles,
    player: str,
    format: str,
    auth: str,
    given_license: bool,
    protected: bool,
) -> None:
    context = new_context()
    token = _viewer(context)
    video_id = titles.protected if protected else titles.clear
    found = gql(context, PLAYBACK, id=video_id)
    assert "errors" not in found, found
    playback = found["data"]["playback"]
    assert (playback["drm"] is not None) == protected
    source = e2e_server.url + playback["dashUrl" if format == "dash" else "hlsUrl"]
    query = {"player": player, "src": source, "auth": auth}
    if auth == "bearer":
        query["token"] = token
    if protected and given_license:
        query["license"] = e2e_server.url + playback["drm"]["licenseUrl"]
    # Cookies go only to the same site: the cookie cases run on the listed origin,
    # the bearer ones on a different site altogether.
    host = "127.0.0.1" if auth == "cookie" else "localhost"
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    licenses: list[int] = []
    page.on(
        "response",
        lambda response: (
            licenses.append(response.status)
            if "/drm/clearkey/" in response.url and response.request.method != "OPTIONS"
            else None
        ),
    )
    page.goto(f"http://{host}:{peer_site}/player.html?{urlencode(query)}")
    timeout = (playback["durationSeconds"] * 4 + 30) * 1000
    with contextlib.suppress(PlaywrightTimeout):  # the assertion below tells where it stood
        page.wait_for_function(
            "() => ['ended', 'error'].includes(window.peer.state)", timeout=timeout, polling=250
        )
    outcome: dict[str, Any] = page.evaluate("() => window.peer")
    detail = json.dumps({**outcome, "console": console[-15:]}, indent=1)
    assert outcome["state"] == "ended" and not outcome["errors"], detail
    # At the end, not merely stopped: the clock stands at the title's duration.
    assert outcome["endedAt"] >= playback["durationSeconds"] - 0.1, detail
    assert outcome["version"], detail
    if protected:
        assert licenses and all(status == 200 for status in licenses), (licenses, detail)
    else:
        assert not licenses, detail
    kind = "Clear Key" if protected else "clear"
    print(
        f"{player} {outcome['version']} played the {format} {kind} title to the end"
        f" ({outcome['endedBy']} at {outcome['endedAt']:.3f} s)"
    )
