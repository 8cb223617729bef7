"""Per-request manifests: plan and device filtering, signed URLs, valid MPDs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit
from xml.sax.saxutils import unescape

import pytest

from core.errors import NotFound
from media.manifests import (
    AssetManifest,
    Track,
    allowed_video,
    iframe_bit_rates,
    render_hls_iframes,
    render_hls_master,
    render_hls_media,
    render_mpd,
)
from media.signing import signer, verify
from tests.media.helpers import assert_valid_mpd

KEY = b"s" * 32
NOW = 1_700_000_000
FOLDER = "/media/video-1-00ff00ff/"
KID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def _video(height: int, width: int, bandwidth: int) -> Track:
    folder = f"video/{height}p"
    return Track(
        id=f"{height}p",
        codecs="avc1.640028",
        bandwidth=bandwidth,
        average_bandwidth=bandwidth * 9 // 10,
        timescale=12800,
        start=0,
        durations=(51200, 51200, 25600),
        init=f"{folder}/init.mp4",
        media=f"{folder}/seg-$Number%05d$.m4s",
        playlist=f"{folder}/playlist.m3u8",
        width=width,
        height=height,
        frame_rate="25/1",
        bitrate=bandwidth,
        keyframe_sizes=(bandwidth // 10, bandwidth // 12, bandwidth // 20),
    )


AUDIO = Track(
    id="audio",
    codecs="mp4a.40.2",
    bandwidth=130_000,
    average_bandwidth=128_000,
    timescale=48000,
    start=0,
    durations=(192512, 191488, 96000),
    init="audio/init.mp4",
    media="audio/seg-$Number%05d$.m4s",
    playlist="audio/playlist.m3u8",
    sample_rate=48000,
    channels=2,
)


def _manifest(key_id: str | None = None) -> AssetManifest:
    return AssetManifest(
        duration=10.0,
        segment_seconds=4,
        video=(
            _video(2160, 3840, 15_000_000),
            _video(1080, 1920, 5_800_000),
            _video(720, 1280, 3_000_000),
            _video(480, 854, 1_050_000),
        ),
        audio=AUDIO,
        key_id=key_id,
    )


SIGN = signer(KEY, "https://cdn.example", FOLDER, NOW + 3600)


def _urls(text: str) -> list[str]:
    # MPD attributes escape & as &amp;; playlists have none to undo.
    return [unescape(url) for url in re.findall(r'https://cdn\.example[^"\s<]*', text)]


def _assert_signed(urls: list[str]) -> None:
    assert urls
    for url in urls:
        parts = urlsplit(url.replace("$Number%05d$", "00002"))
        assert parts.path.startswith(FOLDER)
        assert verify(KEY, parts.path, parts.query, NOW), url


@pytest.mark.parametrize(("max_height", "heights"), [(720, [720, 480]), (1080, [1080, 720, 480])])
def test_mpd_lists_only_allowed_rungs_with_signed_urls(max_height: int, heights: list[int]) -> None:
    mpd = render_mpd(_manifest(), sign=SIGN, max_height=max_height)
    assert_valid_mpd(mpd)
    listed = [int(h) for h in re.findall(r'<Representation id="\w+" [^>]*height="(\d+)"', mpd)]
    assert sorted(listed, reverse=True) == heights
    assert f'maxHeight="{max(heights)}"' in mpd
    assert 'contentType="audio"' in mpd
    _assert_signed(_urls(mpd))
    assert len(_urls(mpd)) == 2 * (len(heights) + 1)  # init and media template per track


def test_no_limit_lists_every_rung_and_a_tiny_device_still_gets_one() -> None:
    assert len(allowed_video(_manifest(), None)) == 4
    (smallest,) = allowed_video(_manifest(), 144)
    assert smallest.height == 480


_NS = {
    "mpd": "urn:mpeg:dash:schema:mpd:2011",
    "cenc": "urn:mpeg:cenc:2013",
    "dashif": "https://dashif.org/CPS",
    "clearkey": "http://dashif.org/guidelines/clearKey",
}


def test_protected_mpd_carries_clear_key_signalling_per_dash_if() -> None:
    mpd = render_mpd(
        _manifest(KID), sign=SIGN, max_height=720, license_url="https://api.example/license"
    )
    assert_valid_mpd(mpd)
    adaptation_sets = ET.fromstring(mpd).findall(".//mpd:AdaptationSet", _NS)
    assert len(adaptation_sets) == 2  # video and audio, each signalled on its own
    for adaptation_set in adaptation_sets:
        cenc, clearkey = adaptation_set.findall("mpd:ContentProtection", _NS)
        assert cenc.attrib["schemeIdUri"] == "urn:mpeg:dash:mp4protection:2011"
        assert cenc.attrib["value"] == "cenc"
        assert cenc.attrib[f"{{{_NS['cenc']}}}default_KID"] == KID
        assert clearkey.attrib["schemeIdUri"] == "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"
        laurls = [
            clearkey.findtext("dashif:laurl", namespaces=_NS),
            clearkey.findtext("clearkey:Laurl", namespaces=_NS),
        ]
        assert laurls == ["https://api.example/license"] * 2
        assert clearkey.find("clearkey:Laurl", _NS).attrib["Lic_type"] == "EME-1.0"  # type: ignore[union-attr]
    # No pssh and no W3C common-system descriptor: dash.js 5 would pass that box to
    # generateRequest('keyids'). The common PSSH is in the init segments (test_ingest).
    assert "pssh" not in mpd and "1077efec" not in mpd
    # The static copy (no license URL) still signals the key system and the key.
    static = render_mpd(_manifest(KID), sign=SIGN)
    assert_valid_mpd(static)
    assert "laurl" not in static.lower() and f'cenc:default_KID="{KID}"' in static


def test_hls_master_and_media_playlists() -> None:
    master = render_hls_master(_manifest(), sign=SIGN, max_height=720)
    assert master.count("#EXT-X-STREAM-INF") == 2
    assert "RESOLUTION=1280x720" in master and "RESOLUTION=1920x1080" not in master
    assert 'CODECS="avc1.640028,mp4a.40.2"' in master
    assert "BANDWIDTH=3130000" in master  # video peak plus audio peak
    assert "AVERAGE-BANDWIDTH=2828000" in master  # video average plus audio average
    _assert_signed(_urls(master))

    media = render_hls_media(_manifest(KID), "720p", sign=SIGN, drm_origin="https://api.example")
    lines = media.splitlines()
    assert "#EXT-X-TARGETDURATION:4" in lines and lines[-1] == "#EXT-X-ENDLIST"
    assert [line for line in lines if line.startswith("#EXTINF")] == [
        "#EXTINF:4.00000,",
        "#EXTINF:4.00000,",
        "#EXTINF:2.00000,",
    ]
    # One key, described twice: for hls.js (org.w3.clearkey) and for shaka (identity).
    keys = [line for line in lines if line.startswith("#EXT-X-KEY:")]
    assert keys == [
        '#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="https://api.example/drm/clearkey/license",'
        'KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1",'
        "KEYID=0x0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        '#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="https://api.example/drm/clearkey/key?'
        'kid=0f1e2d3c4b5a69788796a5b4c3d2e1f0",KEYFORMAT="identity",KEYFORMATVERSIONS="1",'
        "KEYID=0x0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    ]
    urls = _urls(media)
    assert len(urls) == 4 and "seg-00003.m4s" in urls[-1]
    _assert_signed(urls)
    with pytest.raises(NotFound):
        render_hls_media(_manifest(), "4320p", sign=SIGN)


def test_i_frame_playlists_point_at_each_keyframe() -> None:
    master = render_hls_master(_manifest(), sign=SIGN, max_height=720)
    iframes = [line for line in master.splitlines() if line.startswith("#EXT-X-I-FRAME-STREAM")]
    assert len(iframes) == 2  # one per allowed rung
    track = _video(720, 1280, 3_000_000)
    peak, average = iframe_bit_rates(track)
    assert iframes[0].startswith(
        f"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},"
        'CODECS="avc1.640028",RESOLUTION=1280x720,VIDEO-RANGE=SDR,URI="https://cdn.example'
    )
    # Keyframes of 300000, 250000 and 150000 bytes over 4, 4 and 2 s: the peak is the first
    # segment's (the 2 s one is within half a target duration and counts too, at 600 kbit/s).
    assert (peak, average) == (600_000, 560_000)
    _assert_signed(_urls(master))

    playlist = render_hls_iframes(_manifest(KID), "720p", sign=SIGN).splitlines()
    assert "#EXT-X-I-FRAMES-ONLY" in playlist and playlist[-1] == "#EXT-X-ENDLIST"
    ranges = [line for line in playlist if line.startswith("#EXT-X-BYTERANGE")]
    assert ranges == [f"#EXT-X-BYTERANGE:{size}@0" for size in track.keyframe_sizes]
    assert any(line.startswith("#EXT-X-KEY:") for line in playlist)
    _assert_signed(_urls("\n".join(playlist)))
    with pytest.raises(NotFound):
        render_hls_iframes(_manifest(), "audio", sign=SIGN)


def test_description_round_trips_through_json() -> None:
    manifest = _manifest(KID)
    assert AssetManifest.from_json(manifest.to_json()) == manifest
    assert manifest.codecs == ("avc1.640028", "mp4a.40.2")
