"""What a source file holds: duration, picture size, frame rate, colour, audio.

ffmpeg itself is the prober: it prints the container's description while opening the
input, and decoding the opening seconds with ``-xerror`` proves the pictures are readable.
Whatever fails here fails before anything is written or recorded.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import BadUserInput
from media.ffmpeg import FfmpegError, last_lines, run_ffmpeg

# Decoding a whole feature just to check it would take minutes; the encode reads the rest.
DECODE_CHECK_SECONDS = 30
MIN_DURATION_SECONDS = 1.0

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+.*?: (Video|Audio): (\w+)")
_SIZE = re.compile(r", (\d{2,5})x(\d{2,5})[, \[]")
_FPS = re.compile(r"([\d.]+) fps")
_TBR = re.compile(r"([\d.]+)(k?) tbr")
_HZ = re.compile(r"(\d+) Hz")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
# "yuv420p10le(tv, bt2020nc/bt2020/smpte2084, progressive)": pixel format, range, then
# matrix/primaries/transfer (one name when all three agree: "bt709").
_PIXEL = re.compile(r"^\s*Stream #.*?Video: [^,]+?, (\w+)(?:\((\w+)(?:, ([\w/-]+))?[,)])?")
_MASTERING = re.compile(
    r"Mastering display metadata:.*?r\(([\d.]+),? ?([\d.]+)\) g\(([\d.]+),? ?([\d.]+)\) "
    r"b\(([\d.]+),? ?([\d.]+)\) wp\(([\d.]+),? ?([\d.]+)\) "
    r"min_luminance=([\d.]+), max_luminance=([\d.]+)",
    re.IGNORECASE,
)
_LIGHT = re.compile(r"Content light level metadata: MaxCLL=(\d+), MaxFALL=(\d+)", re.IGNORECASE)
PQ, HLG = "smpte2084", "arib-std-b67"
_ERROR = re.compile(r"error|invalid|corrupt", re.IGNORECASE)
_LOG_PREFIX = re.compile(r"^(\[[^\]]+\] ?)+")


@dataclass(frozen=True, slots=True)
class Mastering:
    """SMPTE ST 2086 mastering display colour volume: the display the grade was made on."""

    red: tuple[float, float]
    green: tuple[float, float]
    blue: tuple[float, float]
    white: tuple[float, float]
    """CIE 1931 xy chromaticities."""
    min_luminance: float
    max_luminance: float
    """In cd/m²."""


@dataclass(frozen=True, slots=True)
class Colour:
    """How the source's samples map to light, as ffmpeg names it (``bt2020``, ``smpte2084``).

    None where the source does not say (most SDR files do not): BT.709 is then assumed.
    """

    pixel_format: str | None = None
    primaries: str | None = None
    transfer: str | None = None
    matrix: str | None = None
    mastering: Mastering | None = None
    max_cll: int | None = None
    """CTA-861.3 content light levels, cd/m²: the brightest pixel and brightest frame."""
    max_fall: int | None = None

    @property
    def dynamic_range(self) -> str:
        """HLS's VIDEO-RANGE words: ``PQ`` (HDR10), ``HLG`` or ``SDR``."""
        return {PQ: "PQ", HLG: "HLG"}.get(self.transfer or "", "SDR")

    @property
    def is_hdr(self) -> bool:
        return self.dynamic_range != "SDR"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    duration: float
    width: int
    height: int
    fps: float
    video_codec: str
    audio_codec: str | None
    audio_sample_rate: int | None
    colour: Colour = Colour()

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


async def probe(path: Path) -> SourceInfo:
    """Describe ``path``, or raise BadUserInput saying why it cannot be ingested."""
    if not await asyncio.to_thread(path.is_file):
        raise BadUserInput(f"{path}: no such file")
    # 0:V skips attached pictures (cover art), which ffmpeg also lists as video.
    args = ["-xerror", "-t", DECODE_CHECK_SECONDS, "-i", path, "-map", "0:V:0?"]
    try:
        log = await run_ffmpeg([*map(str, args), "-f", "null", "-"])
    except FfmpegError as exc:
        parse_header(path, exc.stderr)  # not a video at all: say that rather than "corrupt"
        raise BadUserInput(f"{path.name} is corrupt: {_first_error(exc.stderr)}") from None
    return parse_header(path, log)


def parse_header(path: Path, log: str) -> SourceInfo:
    """The description ffmpeg prints for input #0; BadUserInput when there is no video."""
    header = _input_section(log)
    if header is None:
        raise BadUserInput(f"{path.name} is not a video file ffmpeg can read: {last_lines(log, 1)}")
    video = audio = None
    for line in header:
        match = _STREAM.match(line)
        if match is None or "(attached pic)" in line:
            continue
        if match[1] == "Video" and video is None:
            video = (match[2], line)
        elif match[1] == "Audio" and audio is None:
            audio = (match[2], line)
    if video is None:
        raise BadUserInput(f"{path.name} has no video stream")
    text = "\n".join(header)
    duration = _duration(text)
    if duration is None:
        raise BadUserInput(f"{path.name}: ffmpeg cannot tell how long it is")
    if duration < MIN_DURATION_SECONDS:
        raise BadUserInput(f"{path.name} lasts {duration:.2f} s: a still image, not a video")
    size = _SIZE.search(video[1])
    if size is None:
        raise BadUserInput(f"{path.name}: the video stream has no picture size")
    width, height = int(size[1]), int(size[2])
    rotation = _ROTATION.search(text)
    # ffmpeg turns phone videos upright while decoding, so the encodes see the other shape.
    if rotation is not None and round(abs(float(rotation[1]))) % 180 == 90:
        width, height = height, width
    sample_rate = _HZ.search(audio[1]) if audio else None
    return SourceInfo(
        duration=duration,
        width=width,
        height=height,
        fps=_fps(video[1]),
        video_codec=video[0],
        audio_codec=audio[0] if audio else None,
        audio_sample_rate=int(sample_rate[1]) if sample_rate else None,
        colour=_colour(video[1], text),
    )


def _colour(line: str, text: str) -> Colour:
    """The video stream's colour description and HDR side data (from the header)."""
    match = _PIXEL.match(line)
    if match is None:
        return Colour()
    matrix = primaries = transfer = None
    if match[3]:
        names = match[3].split("/")
        if len(names) == 3:
            matrix, primaries, transfer = names
        elif len(names) == 1 and names[0] not in ("progressive", "top", "bottom"):
            matrix = primaries = transfer = names[0]
    mastering = _MASTERING.search(text)
    light = _LIGHT.search(text)
    return Colour(
        pixel_format=match[1],
        primaries=primaries,
        transfer=transfer,
        matrix=matrix,
        mastering=_mastering(mastering) if mastering else None,
        max_cll=int(light[1]) if light else None,
        max_fall=int(light[2]) if light else None,
    )


def _mastering(match: re.Match[str]) -> Mastering:
    numbers = [float(value) for value in match.groups()]
    return Mastering(
        red=(numbers[0], numbers[1]),
        green=(numbers[2], numbers[3]),
        blue=(numbers[4], numbers[5]),
        white=(numbers[6], numbers[7]),
        min_luminance=numbers[8],
        max_luminance=numbers[9],
    )


def _input_section(log: str) -> list[str] | None:
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Input #0")), None)
    if start is None:
        return None
    section = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):  # "Stream mapping:", "Output #0", log lines
            break
        section.append(line)
    return section


def _first_error(log: str) -> str:
    for line in log.splitlines():
        if _ERROR.search(line):
            return _LOG_PREFIX.sub("", line).strip()
    return last_lines(log, 1)


def _duration(text: str) -> float | None:
    match = _DURATION.search(text)
    if match is None:
        return None
    return int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])


def _fps(line: str) -> float:
    match = _FPS.search(line)
    if match is not None:
        return float(match[1])
    tbr = _TBR.search(line)
    if tbr is not None:
        return float(tbr[1]) * (1000 if tbr[2] else 1)
    return 25.0  # a stream that states no rate at all; ffmpeg assumes the same
