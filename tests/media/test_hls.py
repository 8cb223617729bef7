"""HLS correct by construction: every attribute a player trusts, measured from the files.

Every asset the demo publishes (media.demo.DEMO_ENCODES: each demo title plays one of them,
media.demo.assign_encodes says which) is packaged here with the demo's own options and
sources (the cartoon rendered for 8 s rather than 20: two segments, and the same 4 s sample
for the per-title analysis, in half the time), and its master playlist is read as a client
would. Each claim is checked against the segments themselves: BANDWIDTH against the peak
segment bit rate of RFC 8216 (bytes x 8 / EXTINF, over any run of segments lasting 0.5-1.5
target durations), AVERAGE-BANDWIDTH against all the bytes over all the time, CODECS against
the bitstream's own headers as ffmpeg's parser reads them (H.264's SPS, AV1's sequence
header, the AAC profile), VIDEO-RANGE against the stream's transfer characteristics, and
each I-frame playlist's byte ranges against the keyframes they must hold, one picture each.

The per-request playlists the server renders list a subset of these variants (a plan's or a
device's), with the same figures.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from media.demo import CLEAR_KEY, CLIPS, DEMO_ENCODES, HDR_PATTERN, assign_encodes, demo_source
from media.drm import new_content_key
from media.ffmpeg import ffmpeg_exe
from media.ingest import build
from media.manifests import HLS_MASTER_FILE
from media.probe import probe
from media.samples import generate_cartoon
from tests.media.conftest import CACHE_DIR

pytestmark = pytest.mark.media

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_HEADER_FIELD = re.compile(r"\]\s+\d+\s+(\w+(?:\[0\])?)\s+[01]+ = (\d+)")
_VIDEO_RANGES = {16: "PQ", 18: "HLG"}


def _attributes(line: str) -> dict[str, str]:
    return {name: value.strip('"') for name, value in _ATTRIBUTE.findall(line.split(":", 1)[1])}


@dataclass
class MediaPlaylist:
    init: Path
    segments: list[tuple[Path, float, int | None]]  # file, EXTINF, byte-range length
    target: int


def _read_playlist(path: Path) -> MediaPlaylist:
    init, target, segments = None, 0, []
    seconds: float | None = None
    length: int | None = None
    for line in path.read_text().splitlines():
        if line.startswith("#EXT-X-MAP:"):
            init = path.parent / _attributes(line)["URI"]
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            target = int(line.split(":")[1])
        elif line.startswith("#EXTINF:"):
            seconds = float(line.split(":")[1].rstrip(","))
        elif line.startswith("#EXT-X-BYTERANGE:"):
            size, _, offset = line.split(":")[1].partition("@")
            assert offset == "0"
            length = int(size)
        elif line and not line.startswith("#"):
            assert seconds is not None
            segments.append((path.parent / line, seconds, length))
            seconds, length = None, None
    assert init is not None and segments
    return MediaPlaylist(init, segments, target)


def _rates(sizes: list[int], seconds: list[float], target: int) -> tuple[float, float]:
    """(peak, average) segment bit rates, straight from RFC 8216's words."""
    peak = 0.0
    for first in range(len(sizes)):
        for last in range(first, len(sizes)):
            duration = sum(seconds[first : last + 1])
            if 0.5 * target <= duration <= 1.5 * target:
                peak = max(peak, sum(sizes[first : last + 1]) * 8 / duration)
    return peak, sum(sizes) * 8 / sum(seconds)


def _measured(playlist: MediaPlaylist, *, ranges: bool = False) -> tuple[float, float]:
    sizes = [
        (length if ranges and length is not None else path.stat().st_size)
        for path, _, length in playlist.segments
    ]
    return _rates(sizes, [seconds for _, seconds, _ in playlist.segments], playlist.target)


def _close(declared: int, measured: float) -> bool:
    # EXTINF has five decimals; the packager measured on the exact timescale.
    return abs(declared - measured) <= max(2.0, measured * 1e-4)


def _joined(init: Path, segment: Path, length: int | None = None) -> Path:
    clip = segment.with_suffix(".check.mp4")
    clip.write_bytes(init.read_bytes() + segment.read_bytes()[:length])
    return clip


def _headers(init: Path, segment: Path, key: bytes | None) -> dict[str, int]:
    """The first value of every field of the video's parameter sets / sequence header, as
    ffmpeg's own bitstream parser reads them."""
    clip = _joined(init, segment)
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *_decryption(key), "-i", str(clip)]
    command += ["-map", "0:v:0", "-c", "copy", "-bsf:v", "trace_headers"]
    result = subprocess.run([*command, "-frames:v", "1", "-f", "null", "-"], capture_output=True)
    clip.unlink()
    fields: dict[str, int] = {}
    for name, value in _HEADER_FIELD.findall(result.stderr.decode(errors="replace")):
        fields.setdefault(name, int(value))
    assert fields, result.stderr[-2000:]
    return fields


def _avc1(fields: dict[str, int]) -> str:
    """``avc1.PPCCLL`` from the SPS."""
    flags = [fields[f"constraint_set{n}_flag"] for n in range(6)]
    constraints = (
        sum(flag << (7 - n) for n, flag in enumerate(flags)) | fields["reserved_zero_2bits"]
    )
    return f"avc1.{fields['profile_idc']:02x}{constraints:02x}{fields['level_idc']:02x}"


_AV01_DEFAULTS = ".0.110.01.01.01.0"
"""What a short ``av01.P.LLT.DD`` stands for (AV1 ISO BMFF binding, "codecs parameter
string"): 4:2:0, BT.709 primaries, transfer and matrix, studio range."""


def _av01(fields: dict[str, int]) -> str:
    """``av01.P.LLT.DD.M.CCC.cp.tc.mc.F`` from the sequence header, in full."""
    profile, level = fields["seq_profile"], fields["seq_level_idx[0]"]
    tier = "H" if fields.get("seq_tier[0]") else "M"
    depth = 12 if fields.get("twelve_bit") else 10 if fields["high_bitdepth"] else 8
    mono = fields.get("mono_chrome", 0)
    # Profile 0 is 4:2:0 (or monochrome) without saying so; the others code the subsampling.
    x, y = (fields.get("subsampling_x", 1), fields.get("subsampling_y", 1)) if profile else (1, 1)
    position = fields.get("chroma_sample_position", 0) if (x, y) == (1, 1) else 0
    described = fields.get("color_description_present_flag", 0)
    colour = ".".join(
        f"{fields[name] if described else 1:02d}"
        for name in ("color_primaries", "transfer_characteristics", "matrix_coefficients")
    )
    return (
        f"av01.{profile}.{level:02d}{tier}.{depth:02d}"
        f".{mono}.{x}{y}{position}.{colour}.{fields.get('color_range', 0)}"
    )


def _in_full(codec: str) -> str:
    """A declared codec string with an omitted AV1 tail spelled out."""
    return codec + _AV01_DEFAULTS if codec.startswith("av01.") and codec.count(".") == 3 else codec


def _video_codec(fields: dict[str, int]) -> str:
    return _av01(fields) if "seq_profile" in fields else _avc1(fields)


def _video_range(fields: dict[str, int]) -> str:
    return _VIDEO_RANGES.get(fields.get("transfer_characteristics", 1), "SDR")


def _decryption(key: bytes | None) -> list[str]:
    return ["-decryption_key", key.hex()] if key is not None else []


def _audio_description(init: Path, segment: Path, key: bytes | None) -> str:
    clip = _joined(init, segment)
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *_decryption(key)]
    result = subprocess.run([*command, "-i", str(clip)], capture_output=True, text=True)
    clip.unlink()
    return next(line for line in result.stderr.splitlines() if "Audio:" in line)


def _decodes_one_picture(init: Path, segment: Path, length: int, key: bytes | None) -> bool:
    """Whether the init segment plus ``segment[:length]`` decodes to exactly one picture."""
    clip = _joined(init, segment, length)
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *_decryption(key)]
    result = subprocess.run(
        [*command, "-i", str(clip), "-map", "0:v:0", "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
    )
    clip.unlink()
    pictures = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    return result.returncode == 0 and len(pictures) == 1


def test_every_demo_title_plays_one_of_the_encodes_checked_here() -> None:
    movies = [(video_id, None) for video_id in range(1, 41)]
    episodes = [(7, 100 + n) for n in range(5)]
    chosen = assign_encodes([*movies, *episodes], hdr_title=5)
    assert set(chosen) == {*movies, *episodes}
    assert set(chosen.values()) == set(DEMO_ENCODES)
    assert [chosen[title] for title in movies[:3]] == list(CLIPS)
    assert chosen[(5, None)] == HDR_PATTERN and chosen[(10, None)] == CLEAR_KEY


CARTOON_SECONDS = 8


async def _source(name: str) -> Path:
    if name != "cartoon":
        return await demo_source(name, CACHE_DIR)
    target = CACHE_DIR / f"hls-cartoon-{CARTOON_SECONDS}s.mp4"
    if not target.is_file():
        partial = target.with_suffix(".partial.mp4")  # renamed: never half a source
        await generate_cartoon(partial, seconds=CARTOON_SECONDS, width=1920, height=1080)
        partial.replace(target)
    return target


@pytest.mark.parametrize("name", list(DEMO_ENCODES))
async def test_every_declared_hls_figure_matches_the_segments(name: str, tmp_path: Path) -> None:
    encode = DEMO_ENCODES[name]
    source = await _source(encode.source)
    content_key = new_content_key() if encode.options.drm == "clearkey" else None
    folder = tmp_path / "asset"
    folder.mkdir()
    await build(source, await probe(source), folder, encode.options, key=content_key)
    key = content_key.key if content_key is not None else None  # for ffmpeg to decrypt

    lines = (folder / HLS_MASTER_FILE).read_text().splitlines()
    audio_line = next((line for line in lines if line.startswith("#EXT-X-MEDIA:TYPE=AUDIO")), None)
    audio_peak = audio_average = 0.0
    if audio_line is not None:
        audio = _read_playlist(folder / _attributes(audio_line)["URI"])
        audio_peak, audio_average = _measured(audio)
        assert "Audio: aac (LC)" in _audio_description(audio.init, audio.segments[0][0], key)

    variants = [
        (_attributes(line), lines[index + 1])
        for index, line in enumerate(lines)
        if line.startswith("#EXT-X-STREAM-INF:")
    ]
    assert len(variants) >= 2, lines
    for attributes, uri in variants:
        video = _read_playlist(folder / uri)
        peak, average = _measured(video)
        declared_peak, declared_average = (
            int(attributes["BANDWIDTH"]),
            int(attributes["AVERAGE-BANDWIDTH"]),
        )
        assert _close(declared_peak, peak + audio_peak), (uri, declared_peak, peak + audio_peak)
        assert _close(declared_average, average + audio_average), uri
        assert declared_peak >= declared_average, uri

        video_codecs, *audio_codecs = attributes["CODECS"].split(",")
        assert audio_codecs == (["mp4a.40.2"] if audio_line else []), uri
        fields = _headers(video.init, video.segments[0][0], key)
        assert _in_full(video_codecs) == _video_codec(fields), (uri, fields)
        assert attributes["VIDEO-RANGE"] == _video_range(fields), uri

    iframe_streams = [
        _attributes(line) for line in lines if line.startswith("#EXT-X-I-FRAME-STREAM-INF:")
    ]
    assert len(iframe_streams) == len(variants)
    for attributes, (variant, _) in zip(iframe_streams, variants, strict=True):
        assert attributes["RESOLUTION"] == variant["RESOLUTION"]
        assert attributes["CODECS"] == variant["CODECS"].split(",")[0]
        assert attributes["VIDEO-RANGE"] == variant["VIDEO-RANGE"]
        iframes = _read_playlist(folder / attributes["URI"])
        assert "#EXT-X-I-FRAMES-ONLY" in (folder / attributes["URI"]).read_text()
        peak, average = _measured(iframes, ranges=True)
        assert _close(int(attributes["BANDWIDTH"]), peak)
        assert _close(int(attributes["AVERAGE-BANDWIDTH"]), average)
        for path, _, length in iframes.segments:
            assert length is not None and 0 < length < path.stat().st_size
            assert _decodes_one_picture(iframes.init, path, length, key), (path, length)
