"""Playback end to end over HTTP: the query, signed media, Range, and the Clear Key license."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import unescape

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from media.ingest import IngestOptions, ingest
from media.manifests import AssetManifest, Track
from media.samples import generate_cartoon, generate_hdr_pattern
from resolvers.playback import Device, _cap, _playable
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.experiments import CREATE, START, experiment_definition, staff
from tests.helpers.progress import ok
from tests.media.helpers import assert_valid_mpd

PLAYBACK = """query($id: ID!, $device: DeviceInput) { playback(videoId: $id, device: $device) {
  dashUrl hlsUrl resumePositionSeconds durationSeconds representations { id height codecs }
  abr { headroom ewmaAlpha bufferSafetySeconds } drm { keySystem licenseUrl }
  thumbnails { url tileUrls interval columns rows } } }"""
FAST = IngestOptions(preset="ultrafast", segment_seconds=2)
MASTER_KEY = bytes(32)  # the tests' FLIX_MEDIA_MASTER_KEY ("00" * 32)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    return blocking(generate_cartoon(folder / "c.mp4", seconds=6, width=640, height=360))


def _ingest(database_url: str, clip: Path, media_root: Path, video_id: int, drm: str) -> None:
    async def run() -> None:
        engine = create_async_engine(database_url)
        options = IngestOptions(preset=FAST.preset, segment_seconds=2, drm=drm)  # type: ignore[arg-type]
        await ingest(
            engine, clip, media_root, video_id=video_id, options=options, master_key=MASTER_KEY
        )
        await engine.dispose()

    blocking(run())


@pytest.fixture
def player(
    make_api: Callable[..., Api],
    catalog: dict[str, int],
    clean_database: str,
    clip: Path,
    tmp_path: Path,
) -> tuple[Api, dict[str, int]]:
    """A PG viewer, Toy Story (G) ingested in the clear and Babe (PG) with Clear Key."""
    _ingest(clean_database, clip, tmp_path, catalog["Toy Story"], "none")
    _ingest(clean_database, clip, tmp_path, catalog["Babe"], "clearkey")
    api = make_api(media_root=tmp_path)
    api.viewer_with_profile("ada@example.com", maturityLevel=2)
    return api, catalog


def _playback(api: Api, video: int, **device: Any) -> dict[str, Any]:
    found: dict[str, Any] = api.data(PLAYBACK, id=str(video), device=device or None)["playback"]
    return found


def test_playback_answers_everything_a_player_needs(player: tuple[Api, dict[str, int]]) -> None:
    api, catalog = player
    found = _playback(api, catalog["Toy Story"])
    assert found["abr"] == {"headroom": 0.8, "ewmaAlpha": 0.3, "bufferSafetySeconds": 10.0}
    assert found["resumePositionSeconds"] == 0 and found["drm"] is None
    assert {r["height"] for r in found["representations"]} == {360, 240}
    mpd = api.client.get(found["dashUrl"])
    assert mpd.status_code == 200 and mpd.headers["content-type"].startswith("application/dash")
    assert_valid_mpd(mpd.text)
    master = api.client.get(found["hlsUrl"])
    assert master.status_code == 200 and "#EXT-X-STREAM-INF" in master.text
    media_playlist = next(line for line in master.text.splitlines() if line.startswith("/media"))
    playlist = api.client.get(media_playlist)
    segment = next(line for line in playlist.text.splitlines() if line.startswith("/media"))
    assert api.client.get(segment).headers["cache-control"].endswith("immutable")
    tiles = found["thumbnails"]
    assert tiles["interval"] == 10 and api.client.get(tiles["url"]).status_code == 200


def test_device_cap_filters_the_renditions(player: tuple[Api, dict[str, int]]) -> None:
    api, catalog = player
    found = _playback(api, catalog["Toy Story"], maxHeight=240)
    assert [r["height"] for r in found["representations"]] == [240]
    mpd = api.client.get(found["dashUrl"]).text
    assert 'height="360"' not in mpd and 'height="240"' in mpd


def _manifest(*heights: int) -> AssetManifest:
    def track(height: int) -> Track:
        return Track(
            id=f"{height}p",
            codecs="avc1.64001f",
            bandwidth=height * 5000,
            average_bandwidth=height * 4000,
            timescale=1000,
            start=0,
            durations=(4000,),
            init="i.mp4",
            media="s.m4s",
            playlist="p.m3u8",
            width=height * 16 // 9,
            height=height,
        )

    return AssetManifest(
        duration=4,
        segment_seconds=4,
        video=tuple(track(h) for h in heights),
        audio=None,
        key_id=None,
    )


@pytest.mark.parametrize(
    ("plan", "tallest"), [("BASIC", 720), ("STANDARD", 1080), ("PREMIUM", 2160)]
)
def test_plans_cap_the_resolution(plan: str, tallest: int) -> None:
    ladder = _manifest(2160, 1080, 720, 480)
    heights = [t.height for t in _playable(ladder, _cap(plan, Device()), Device())]
    assert max(h or 0 for h in heights) == tallest
    assert _cap(plan, Device(max_height=480)) == 480


def test_signatures_are_checked(player: tuple[Api, dict[str, int]]) -> None:
    api, catalog = player
    found = _playback(api, catalog["Toy Story"], maxHeight=240)
    url = found["dashUrl"]
    tampered = url.replace("manifest-240", "manifest-360")
    assert api.client.get(tampered).status_code == 403  # a higher cap than signed
    assert api.client.get(url.replace("sig=", "sig=x")).status_code == 403
    expired = url.split("exp=")[0] + f"exp={int(time.time()) - 10}&" + url.split("&", 1)[1]
    assert api.client.get(expired).status_code == 403
    other = _playback(api, catalog["Babe"])["thumbnails"]["url"]
    asset, query = found["thumbnails"]["url"].split("?")
    foreign = other.split("?")[0] + "?" + query  # another title's file, this title's key
    assert api.client.get(foreign).status_code == 403
    assert api.client.get(asset).status_code == 403  # unsigned


def test_segments_support_range_requests(player: tuple[Api, dict[str, int]]) -> None:
    api, catalog = player
    tile = _playback(api, catalog["Toy Story"])["thumbnails"]["url"]
    whole = api.client.get(tile).content
    part = api.client.get(tile, headers={"range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == whole[10:20]
    assert part.headers["access-control-allow-origin"] == "*"


def test_resume_follows_the_newest_progress_from_any_device(
    player: tuple[Api, dict[str, int]], make_api: Callable[..., Api]
) -> None:
    api, catalog = player
    ok(api, catalog["Toy Story"], 3.5, at=1, duration=6.0, device="phone")
    tv = make_api(media_root=api.client.app.state.media.media_root)  # type: ignore[attr-defined]
    tv.token = api.token
    assert _playback(tv, catalog["Toy Story"])["resumePositionSeconds"] == 3.5


def test_clear_key_license_only_for_allowed_sessions(
    player: tuple[Api, dict[str, int]], catalog: dict[str, int]
) -> None:
    api, _ = player
    found = _playback(api, catalog["Babe"])
    assert found["drm"]["keySystem"] == "org.w3.clearkey"
    license_url = found["drm"]["licenseUrl"]
    mpd = api.client.get(found["dashUrl"]).text
    kid = mpd.split('cenc:default_KID="')[1].split('"')[0].replace("-", "")
    kid64 = base64.urlsafe_b64encode(bytes.fromhex(kid)).rstrip(b"=").decode()
    request = {"kids": [kid64], "type": "temporary"}
    granted = api.client.post(
        license_url, json=request, headers={"authorization": f"Bearer {api.token}"}
    )
    assert granted.status_code == 200 and granted.json()["keys"][0]["kid"] == kid64
    # Babe is PG: above a level-1 kids profile.
    kid_profile = api.create_profile("Kid", isKids=True, maturityLevel=1)
    api.select_profile(kid_profile)
    bearer = {"authorization": f"Bearer {api.token}"}
    mature = api.client.post(license_url, json=request, headers=bearer)
    assert mature.status_code == 404
    # Signed in without a profile, then signed out.
    api.register("fresh@example.com")
    bearer = {"authorization": f"Bearer {api.token}"}
    assert api.client.post(license_url, json=request, headers=bearer).status_code == 403
    api.forget_session()
    assert api.client.post(license_url, json=request).status_code == 401


PEER = "http://peer.example:8080"


def _kid_request(api: Api, dash_url: str) -> dict[str, Any]:
    mpd = api.client.get(dash_url).text
    kid = mpd.split('cenc:default_KID="')[1].split('"')[0].replace("-", "")
    kid64 = base64.urlsafe_b64encode(bytes.fromhex(kid)).rstrip(b"=").decode()
    return {"kids": [kid64], "type": "temporary"}


def test_manifests_name_the_license_url_and_it_finds_the_title_from_the_key(
    player: tuple[Api, dict[str, int]], catalog: dict[str, int]
) -> None:
    api, _ = player
    found = _playback(api, catalog["Babe"])
    mpd = api.client.get(found["dashUrl"]).text
    assert_valid_mpd(mpd)
    license_url = "http://testserver/drm/clearkey/license"
    assert f"<dashif:laurl>{license_url}</dashif:laurl>" in mpd
    master = api.client.get(found["hlsUrl"]).text
    playlist = api.client.get(next(line for line in master.splitlines() if line.startswith("/")))
    assert f'URI="{license_url}",KEYFORMAT="org.w3.clearkey"' in playlist.text
    # The manifests' URL names no title: the key id asked for does, with the same checks.
    request = _kid_request(api, found["dashUrl"])
    bearer = {"authorization": f"Bearer {api.token}"}
    granted = api.client.post(license_url, json=request, headers=bearer)
    assert granted.status_code == 200, granted.text
    assert granted.json()["keys"][0]["kid"] == request["kids"][0]
    # HLS's "identity" key URI answers the same key, raw, to the same sessions.
    key_line = next(line for line in playlist.text.splitlines() if 'KEYFORMAT="identity"' in line)
    key_url = key_line.split('URI="')[1].split('"')[0]
    raw = api.client.get(key_url, headers=bearer)
    assert raw.status_code == 200 and raw.headers["cache-control"] == "no-store"
    k = granted.json()["keys"][0]["k"]
    assert raw.content == base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))
    assert api.client.get(key_url.split("?")[0] + "?kid=zz", headers=bearer).status_code == 400
    unknown = {"kids": [base64.urlsafe_b64encode(bytes(16)).rstrip(b"=").decode()]}
    assert api.client.post(license_url, json=unknown, headers=bearer).status_code == 404
    kid_profile = api.create_profile("Kid", isKids=True, maturityLevel=1)
    api.select_profile(kid_profile)
    above = api.client.post(
        license_url, json=request, headers={"authorization": f"Bearer {api.token}"}
    )
    assert above.status_code == 404  # Babe is PG: the same answer as a key that is not there
    assert (
        api.client.get(key_url, headers={"authorization": f"Bearer {api.token}"}).status_code == 404
    )
    api.forget_session()
    assert api.client.post(license_url, json=request).status_code == 401
    assert api.client.get(key_url).status_code == 401


def test_license_cors_lets_listed_origins_use_cookies_and_others_bearer_tokens(
    make_api: Callable[..., Api],
    catalog: dict[str, int],
    clean_database: str,
    clip: Path,
    tmp_path: Path,
) -> None:
    _ingest(clean_database, clip, tmp_path, catalog["Babe"], "clearkey")
    api = make_api(media_root=tmp_path, drm_license_origins=f"{PEER}/, http://other.example")
    api.viewer_with_profile("cors@example.com", maturityLevel=2)
    found = _playback(api, catalog["Babe"])
    license_url = found["drm"]["licenseUrl"]
    request = _kid_request(api, found["dashUrl"])

    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    listed = api.client.options(license_url, headers={"origin": PEER, **preflight})
    assert listed.status_code == 204
    assert listed.headers["access-control-allow-origin"] == PEER
    assert listed.headers["access-control-allow-credentials"] == "true"
    assert "POST" in listed.headers["access-control-allow-methods"]
    assert "authorization" in listed.headers["access-control-allow-headers"].lower()
    stranger = api.client.options(
        license_url, headers={"origin": "https://evil.example", **preflight}
    )
    assert stranger.status_code == 204
    assert stranger.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in stranger.headers

    # The session cookie, from a listed origin: the browser may read the answer.
    api.client.cookies.set("flix_session", api.token or "")
    token, api.token = api.token, None  # the cookie alone
    by_cookie = api.client.post(license_url, json=request, headers={"origin": PEER})
    assert by_cookie.status_code == 200, by_cookie.text
    assert by_cookie.headers["access-control-allow-origin"] == PEER
    assert by_cookie.headers["access-control-allow-credentials"] == "true"
    assert by_cookie.headers["cache-control"] == "no-store"
    # A bearer token, from anywhere: the answer is readable without credentials.
    api.client.cookies.clear()
    by_token = api.client.post(
        license_url,
        json=request,
        headers={"origin": "https://evil.example", "authorization": f"Bearer {token}"},
    )
    assert by_token.status_code == 200
    assert by_token.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in by_token.headers
    # Refusals carry CORS too, so a player on another origin can read why.
    refused = api.client.post(license_url, json=request, headers={"origin": PEER})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == PEER
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_no_profile_and_no_media(
    player: tuple[Api, dict[str, int]], catalog: dict[str, int]
) -> None:
    api, _ = player
    assert api.error_code(PLAYBACK, id=str(catalog["Crash"])) == "NOT_FOUND"  # above PG
    filler = api.data('{ search(query: "Filler 0", first: 1) { edges { node { id } } } }')
    no_media = filler["search"]["edges"][0]["node"]["id"]  # PG, never ingested
    body = api.gql(PLAYBACK, id=no_media)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "no playable media" in body["errors"][0]["message"]
    api.register("fresh@example.com")
    assert api.error_code(PLAYBACK, id=str(catalog["Toy Story"])) == "PROFILE_REQUIRED"


def test_abr_experiment_sets_the_players_rule_for_its_variant(
    player: tuple[Api, dict[str, int]], make_api: Callable[..., Api], clean_database: str
) -> None:
    api, catalog = player
    profile = api.data("{ me { activeProfile { id } } }")["me"]["activeProfile"]["id"]
    admin = staff(make_api, clean_database)
    definition = {
        **experiment_definition("abr_settings"),
        "variants": [
            {"key": "seed", "weight": 50, "config": {}},
            {"key": "cautious", "weight": 50, "config": {"abr": {"headroom": 0.6}}},
        ],
        "forcedVariants": [{"profileId": profile, "variant": "cautious"}],
    }
    experiment = admin.data(CREATE, input=definition)["createExperiment"]["id"]
    admin.data(START, id=experiment)
    abr = _playback(api, catalog["Toy Story"])["abr"]
    assert abr == {"headroom": 0.6, "ewmaAlpha": 0.3, "bufferSafetySeconds": 10.0}


# --- 4K HDR and AV1 ---------------------------------------------------------------------

HDR_QUICK = IngestOptions(
    preset="ultrafast", segment_seconds=2, codecs=("h264", "av1"), av1_preset=12, max_rungs=1
)
"""The top rung of each codec only: 2160p H.264 (tone-mapped) and 2160p 10-bit PQ AV1."""


@pytest.fixture(scope="module")
def hdr_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hdr")
    # Two seconds at 12 fps: 24 pictures of 4K are enough to prove the path.
    return blocking(generate_hdr_pattern(folder / "hdr.mp4", fps=12))


@pytest.fixture
def hdr_title(
    make_api: Callable[..., Api],
    catalog: dict[str, int],
    clean_database: str,
    hdr_clip: Path,
    tmp_path: Path,
) -> tuple[Api, int]:
    """A PREMIUM viewer and Toy Story ingested from a 4K HDR10 source, H.264 and AV1."""

    async def run() -> None:
        engine = create_async_engine(clean_database)
        await ingest(engine, hdr_clip, tmp_path, video_id=catalog["Toy Story"], options=HDR_QUICK)
        await engine.dispose()

    blocking(run())
    api = make_api(media_root=tmp_path)
    api.viewer_with_profile("hdr@example.com", maturityLevel=2)  # registered PREMIUM
    return api, catalog["Toy Story"]


PQ_AV1 = re.compile(r"av01\.0\.\d\d[MH]\.10\.0\.110\.09\.16\.09\.0")


def test_premium_av1_devices_get_2160p_av1_and_hdr(hdr_title: tuple[Api, int]) -> None:
    api, video = hdr_title
    found = _playback(api, video, codecs=["avc1", "av01"])
    by_codec = {r["codecs"].split(".")[0]: r for r in found["representations"]}
    assert set(by_codec) == {"avc1", "av01"}
    assert by_codec["av01"]["height"] == by_codec["avc1"]["height"] == 2160
    assert PQ_AV1.fullmatch(by_codec["av01"]["codecs"]), by_codec["av01"]["codecs"]
    assert "-av01+avc1.mpd" in found["dashUrl"]
    mpd = api.client.get(found["dashUrl"])
    assert mpd.status_code == 200
    assert_valid_mpd(mpd.text)
    assert 'schemeIdUri="urn:mpeg:mpegB:cicp:TransferCharacteristics" value="16"' in mpd.text
    av1_init = re.search(r'initialization="([^"]*/video/av1-[^"]*)"', mpd.text)
    assert av1_init is not None
    assert api.client.get(unescape(av1_init[1])).status_code == 200  # signed for its rung
    master = api.client.get(found["hlsUrl"]).text
    assert "VIDEO-RANGE=PQ" in master and "VIDEO-RANGE=SDR" in master


def test_av1_is_offered_only_to_devices_that_declare_it(hdr_title: tuple[Api, int]) -> None:
    api, video = hdr_title
    found = _playback(api, video)
    assert {r["codecs"][:4] for r in found["representations"]} == {"avc1"}
    mpd = api.client.get(found["dashUrl"]).text
    assert "av01" not in mpd and "EssentialProperty" not in mpd
    assert "av01" not in api.client.get(found["hlsUrl"]).text
    # Asking for AV1 in the URL without a signature for it is refused.
    assert api.client.get(found["dashUrl"].replace(".mpd?", "-av01.mpd?")).status_code == 403
    only_av1 = _playback(api, video, codecs=["av01"])
    assert {r["codecs"][:4] for r in only_av1["representations"]} == {"av01"}
