"""HLS correct by construction: every attribute a player trusts, measured from the files.

An ingested title's master playlist is read as a client would, and each claim is checked
against the segments themselves: BANDWIDTH against the peak segment bit rate of RFC 8216
(bytes x 8 / EXTINF, over any run of segments lasting 0.5-1.5 target durations),
AVERAGE-BANDWIDTH against all the bytes over all the time, CODECS against the SPS as
ffmpeg's bitstream parser reads it (and the AAC profile it names), and each I-frame
playlist's byte ranges against the keyframes they must hold, one picture each.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.playback.tables import media_assets
from media.drm import unseal
from media.ffmpeg import ffmpeg_exe
from media.ingest import IngestOptions, ingest
from media.manifests import HLS_MASTER_FILE

pytestmark = pytest.mark.media

MASTER_KEY = bytes(range(32))
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_SPS_FIELD = re.compile(
    r"\s(profile_idc|constraint_set\d_flag|reserved_zero_2bits|level_idc)\s+[01]+ = (\d+)"
)


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


def _sps_codec(init: Path, segment: Path, key: bytes) -> str:
    """``avc1.PPCCLL`` from the SPS fields as ffmpeg's own bitstream parser reads them."""
    clip = _joined(init, segment)
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-decryption_key", key.hex()]
    command += ["-i", str(clip), "-map", "0:v:0", "-c", "copy", "-bsf:v", "trace_headers"]
    result = subprocess.run([*command, "-frames:v", "1", "-f", "null", "-"], capture_output=True)
    clip.unlink()
    fields: dict[str, int] = {}
    for name, value in _SPS_FIELD.findall(result.stderr.decode(errors="replace")):
        fields.setdefault(name, int(value))
    flags = [fields[f"constraint_set{n}_flag"] for n in range(6)]
    constraints = (
        sum(flag << (7 - n) for n, flag in enumerate(flags)) | fields["reserved_zero_2bits"]
    )
    return f"avc1.{fields['profile_idc']:02x}{constraints:02x}{fields['level_idc']:02x}"


def _audio_description(init: Path, segment: Path, key: bytes) -> str:
    clip = _joined(init, segment)
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-decryption_key", key.hex()]
    result = subprocess.run([*command, "-i", str(clip)], capture_output=True, text=True)
    clip.unlink()
    return next(line for line in result.stderr.splitlines() if "Audio:" in line)


def _decodes_one_picture(init: Path, segment: Path, length: int, key: bytes) -> bool:
    """Whether the init segment plus ``segment[:length]`` decodes to exactly one picture."""
    clip = _joined(init, segment, length)
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-decryption_key", key.hex()]
    result = subprocess.run(
        [*command, "-i", str(clip), "-map", "0:v:0", "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
    )
    clip.unlink()
    pictures = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    return result.returncode == 0 and len(pictures) == 1


async def test_every_declared_hls_figure_matches_the_segments(
    engine: AsyncEngine, movie: int, bunny: Path, media_root: Path
) -> None:
    options = IngestOptions(segment_seconds=2, preset="ultrafast", drm="clearkey")
    asset = await ingest(
        engine, bunny, media_root, video_id=movie, options=options, master_key=MASTER_KEY
    )
    folder = media_root / (asset.storage_path or "")
    async with engine.connect() as connection:
        sealed = await connection.scalar(select(media_assets.c.encrypted_key))
    assert asset.key_id is not None and sealed is not None
    key = unseal(MASTER_KEY, asset.key_id.bytes, bytes(sealed)).key  # for ffmpeg to decrypt

    lines = (folder / HLS_MASTER_FILE).read_text().splitlines()
    audio_line = next(line for line in lines if line.startswith("#EXT-X-MEDIA:TYPE=AUDIO"))
    audio = _read_playlist(folder / _attributes(audio_line)["URI"])
    audio_peak, audio_average = _measured(audio)
    assert "Audio: aac (LC)" in _audio_description(audio.init, audio.segments[0][0], key)

    variants = [
        (_attributes(line), lines[index + 1])
        for index, line in enumerate(lines)
        if line.startswith("#EXT-X-STREAM-INF:")
    ]
    assert len(variants) == len(asset.ladder) >= 3
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

        video_codecs, audio_codecs = attributes["CODECS"].split(",")
        assert audio_codecs == "mp4a.40.2"
        assert video_codecs == _sps_codec(video.init, video.segments[0][0], key), uri

    iframe_streams = [
        _attributes(line) for line in lines if line.startswith("#EXT-X-I-FRAME-STREAM-INF:")
    ]
    assert len(iframe_streams) == len(variants)
    for attributes, (variant, _) in zip(iframe_streams, variants, strict=True):
        assert attributes["RESOLUTION"] == variant["RESOLUTION"]
        assert attributes["CODECS"] == variant["CODECS"].split(",")[0]
        iframes = _read_playlist(folder / attributes["URI"])
        assert "#EXT-X-I-FRAMES-ONLY" in (folder / attributes["URI"]).read_text()
        peak, average = _measured(iframes, ranges=True)
        assert _close(int(attributes["BANDWIDTH"]), peak)
        assert _close(int(attributes["AVERAGE-BANDWIDTH"]), average)
        for path, _, length in iframes.segments:
            assert length is not None and 0 < length < path.stat().st_size
            assert _decodes_one_picture(iframes.init, path, length, key), (path, length)
