"""Up to 4K HDR: the ladder's top rungs, HDR probing, AV1 and 10-bit PQ/HLG, and how the
manifests signal them (DASH-IF cicp properties, HLS VIDEO-RANGE)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from media import mp4
from media.encode import EncodedStream
from media.ingest import IngestOptions, build
from media.ladder import AV1_BITRATE_SHARE, FIXED_LADDER, Rung, av1_ladder, fixed_ladder
from media.manifests import (
    AssetManifest,
    Track,
    allowed_video,
    render_hls_master,
    render_mpd,
)
from media.probe import SourceInfo, parse_header, probe
from media.samples import generate_cartoon, generate_hdr_pattern
from tests.media.helpers import assert_valid_mpd, decode, joined

_MPD = "{urn:mpeg:dash:schema:mpd:2011}"
_CICP = "urn:mpeg:mpegB:cicp:"

HDR10_HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'hdr.mp4':
  Duration: 00:00:02.00, start: 0.000000, bitrate: 595 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main 10) (hvc1 / 0x31637668), \
yuv420p10le(tv, bt2020nc/bt2020/smpte2084, progressive), 3840x2160 [SAR 1:1 DAR 16:9], \
590 kb/s, 24 fps, 24 tbr, 12288 tbn (default)
    Side data:
      Mastering display metadata: has_primaries:1 has_luminance:1 r(0.6800,0.3200) \
g(0.2650,0.6900) b(0.1500 0.0600) wp(0.3127, 0.3290) min_luminance=0.000100, \
max_luminance=1000.000000
      Content light level metadata: MaxCLL=1000, MaxFALL=400
"""


def _source(width: int, height: int) -> SourceInfo:
    return SourceInfo(10.0, width, height, 25.0, "h264", None, None)


def test_the_ladder_reaches_2160p_only_from_a_source_that_tall() -> None:
    heights = [box for box, _ in FIXED_LADDER]
    assert len(FIXED_LADDER) == 8 and heights[:3] == [2160, 1440, 1080]
    assert [r.height for r in fixed_ladder(_source(3840, 2160))][:2] == [2160, 1440]
    assert fixed_ladder(_source(2560, 1440))[0].height == 1440
    assert max(r.height for r in fixed_ladder(_source(1920, 1080))) == 1080


def test_an_av1_ladder_reuses_the_picture_sizes_at_a_share_of_the_bits() -> None:
    h264 = [Rung(1920, 1080, 5_800_000, crf=23.0), Rung(1280, 720, 3_000_000)]
    h264.append(Rung(1280, 720, 2_350_000))
    av1 = av1_ladder(h264)
    assert [(r.width, r.height, r.codec, r.crf) for r in av1] == [
        (1920, 1080, "av1", None),
        (1280, 720, "av1", None),  # one rung per size
    ]
    assert av1[0].bitrate == round(5_800_000 * AV1_BITRATE_SHARE / 10_000) * 10_000
    assert av1[0].name == "av1-1080p-3770k" and h264[0].name == "1080p-5800k"


def test_probe_reads_hdr10_colour_and_its_metadata() -> None:
    colour = parse_header(Path("hdr.mp4"), HDR10_HEADER).colour
    assert (colour.primaries, colour.transfer, colour.matrix) == ("bt2020", "smpte2084", "bt2020nc")
    assert colour.pixel_format == "yuv420p10le" and colour.dynamic_range == "PQ"
    assert colour.mastering is not None and colour.mastering.blue == (0.15, 0.06)
    assert colour.mastering.max_luminance == 1000 and colour.mastering.min_luminance == 0.0001
    assert (colour.max_cll, colour.max_fall) == (1000, 400)
    hlg = HDR10_HEADER.replace("smpte2084", "arib-std-b67")
    assert parse_header(Path("hlg.mp4"), hlg).colour.dynamic_range == "HLG"
    sdr = HDR10_HEADER.replace("yuv420p10le(tv, bt2020nc/bt2020/smpte2084, progressive)", "yuv420p")
    assert not parse_header(Path("sdr.mp4"), sdr).colour.is_hdr


def _track(track_id: str, codecs: str, height: int, colour: tuple[int, int, int] | None) -> Track:
    folder = f"video/{track_id}"
    return Track(
        id=track_id,
        codecs=codecs,
        bandwidth=height * 4000,
        average_bandwidth=height * 3000,
        timescale=12288,
        start=0,
        durations=(24576,),
        init=f"{folder}/init.mp4",
        media=f"{folder}/seg-$Number%05d$.m4s",
        playlist=f"{folder}/playlist.m3u8",
        width=height * 16 // 9,
        height=height,
        frame_rate="24/1",
        colour=colour,
    )


PQ_AV1 = "av01.0.12M.10.0.110.09.16.09.0"
HDR_TITLE = AssetManifest(
    duration=2.0,
    segment_seconds=2,
    video=(
        _track("2160p-15000k", "avc1.640033", 2160, (1, 1, 1)),
        _track("1080p-5800k", "avc1.640028", 1080, (1, 1, 1)),
        _track("av1-2160p-9750k", PQ_AV1, 2160, (9, 16, 9)),
        _track("av1-1080p-3770k", "av01.0.09M.10.0.110.09.16.09.0", 1080, (9, 16, 9)),
    ),
    audio=None,
    key_id=None,
)


def test_each_codec_and_range_is_its_own_adaptation_set_with_cicp_properties() -> None:
    text = render_mpd(HDR_TITLE, sign=str, families=frozenset({"avc1", "av01"}))
    assert_valid_mpd(text)
    sets = ET.fromstring(text).findall(f"{_MPD}Period/{_MPD}AdaptationSet")
    assert len(sets) == 2
    sdr, hdr = sets
    assert {r.get("codecs")[:4] for r in sdr.iter(f"{_MPD}Representation")} == {"avc1"}  # type: ignore[index]
    assert {r.get("codecs") for r in hdr.iter(f"{_MPD}Representation")} >= {PQ_AV1}

    def properties(element: ET.Element, kind: str) -> dict[str, str]:
        return {
            p.attrib["schemeIdUri"].removeprefix(_CICP): p.attrib["value"]
            for p in element.findall(f"{_MPD}{kind}")
        }

    # PQ is essential (a player that cannot show it must skip the set); the rest supplemental.
    assert properties(hdr, "EssentialProperty") == {"TransferCharacteristics": "16"}
    assert properties(hdr, "SupplementalProperty") == {
        "ColourPrimaries": "9",
        "MatrixCoefficients": "9",
    }
    assert properties(sdr, "SupplementalProperty")["TransferCharacteristics"] == "1"
    assert properties(sdr, "EssentialProperty") == {}


def test_only_declared_codecs_are_listed_and_hls_says_the_range() -> None:
    h264_only = render_mpd(HDR_TITLE, sign=str, families=frozenset({"avc1"}))
    assert "av01" not in h264_only and "EssentialProperty" not in h264_only
    master = render_hls_master(HDR_TITLE, sign=str, families=frozenset({"avc1", "av01"}))
    ranges = re.findall(r'CODECS="([^"]+)",RESOLUTION=\d+x\d+,VIDEO-RANGE=(\w+)', master)
    assert {(codecs[:4], video_range) for codecs, video_range in ranges} == {
        ("avc1", "SDR"),
        ("av01", "PQ"),
    }
    capped = allowed_video(HDR_TITLE, 720, frozenset({"avc1", "av01"}))
    # Everything is taller than the cap: the smallest rung of each codec stays.
    assert sorted(t.id for t in capped) == ["1080p-5800k", "av1-1080p-3770k"]
    hlg = replace(HDR_TITLE.video[2], colour=(9, 18, 9))
    assert hlg.video_range == "HLG" and HDR_TITLE.video[0].video_range == "SDR"


# --- real encodes (short, small: the path, not the pictures) -----------------------------

QUICK = IngestOptions(
    preset="ultrafast", segment_seconds=2, codecs=("h264", "av1"), av1_preset=12, max_rungs=1
)


def _stream(folder: Path, track: Track) -> bytes:
    return (folder / track.init).read_bytes()


@pytest.mark.media
@pytest.mark.parametrize(
    ("transfer", "code", "video_range"), [("pq", 16, "PQ"), ("hlg", 18, "HLG")]
)
async def test_an_hdr_source_gets_10_bit_av1_with_its_colour_and_sdr_h264(
    tmp_path: Path, transfer: str, code: int, video_range: str
) -> None:
    source = await generate_hdr_pattern(
        tmp_path / "hdr.mp4", width=640, height=360, fps=12, transfer=transfer
    )
    info = await probe(source)
    assert info.colour.dynamic_range == video_range
    folder = tmp_path / "asset"
    folder.mkdir()
    manifest = await build(source, info, folder, QUICK)
    h264, av1 = manifest.video
    assert h264.codecs.startswith("avc1.") and h264.colour == (1, 1, 1)  # tone-mapped SDR
    assert av1.codecs == f"av01.0.{int(av1.codecs[7:9]):02d}M.10.0.110.09.{code}.09.0"
    assert av1.colour == (9, code, 9) and av1.video_range == video_range
    init = _stream(folder, av1)
    described = mp4.colour(init)
    assert described is not None and described.transfer == code
    # HDR10's static metadata travels into the AV1 rung's init segment; HLG has none.
    has_metadata = mp4.find(init, "moov") is not None and b"mdcv" in init and b"clli" in init
    assert has_metadata == (transfer == "pq")
    for track in (h264, av1):
        result = decode(joined(folder, track, tmp_path / f"{track.id}.mp4"))
        assert result.returncode == 0, result.stderr[-2000:]
    assert_valid_mpd((folder / "manifest.mpd").read_text(encoding="utf-8"))
    assert f"VIDEO-RANGE={video_range}" in (folder / "master.m3u8").read_text(encoding="utf-8")


@pytest.mark.media
async def test_an_sdr_source_gets_8_bit_av1_beside_h264(tmp_path: Path) -> None:
    source = await generate_cartoon(tmp_path / "c.mp4", seconds=2, width=640, height=360)
    info = await probe(source)
    folder = tmp_path / "asset"
    folder.mkdir()
    manifest = await build(source, info, folder, QUICK)
    assert [t.family for t in manifest.video] == ["avc1", "av01"]
    av1 = manifest.video[1]
    # SVT-AV1 describes no colour for BT.709 (its default), so the short form is exact.
    assert re.fullmatch(r"av01\.0\.\d\dM\.08(\.0\.110\.01\.01\.01\.0)?", av1.codecs), av1.codecs
    assert av1.video_range == "SDR" and av1.id.startswith("av1-360p-")
    # The codec string is the stream's own: what ffmpeg's muxer would have written.
    assert av1.codecs == mp4.codec_string(_stream(folder, av1))


def test_a_stream_without_colour_info_gets_the_short_codec_form() -> None:
    # av1C: marker+version, profile 0 level 8, main tier 8-bit 4:2:0, no config OBUs.
    av1c = bytes([0x81, 0x08, 0x0C, 0x00])
    assert mp4._av01_codec(av1c, None) == "av01.0.08M.08"
    assert EncodedStream.__dataclass_fields__["colour"].default is None
