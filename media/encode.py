"""Encode one rung (or the audio) into CMAF fragmented-MP4 segments.

Each representation is its own ffmpeg run through the dash muxer, which cuts segments at
keyframes and writes one init segment plus numbered media segments. Its MPD is read for
the exact segment timeline and then dropped: the title's manifests are written by
:mod:`media.package` from every representation at once. Everything else they declare is
read from the files: the codec string from the init segment, bit rates from the segments'
sizes (:mod:`media.bitrates`), where each keyframe ends (:mod:`media.mp4`).

Keyframes line up across rungs because every rung gets the same fixed GOP (segment length
x frame rate, scene-cut keyframes off) from the same frames, so segment N of every rung
starts on the same picture and a player can switch between them at any boundary.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from media import mp4
from media.bitrates import average_bit_rate, peak_bit_rate
from media.drm import ContentKey, pssh_box
from media.ffmpeg import ProgressCallback, run_ffmpeg
from media.ladder import Rung
from media.probe import SourceInfo

INIT_NAME = "init.mp4"
MEDIA_TEMPLATE = "seg-$Number%05d$.m4s"
AUDIO_BITRATE = 128_000
_MPD = "{urn:mpeg:dash:schema:mpd:2011}"
_MUXER_MPD = "stream.mpd"


@dataclass(frozen=True, slots=True)
class EncodedStream:
    """One representation on disk: where it is and what its segments are."""

    folder: Path
    codecs: str
    """RFC 6381, from the init segment's decoder configuration."""
    timescale: int
    start: int
    durations: tuple[int, ...]
    """Every segment's duration, in ``timescale`` units, in order."""
    sizes: tuple[int, ...]
    """Every segment's size in bytes, in order."""
    init_size: int
    keyframe_sizes: tuple[int, ...] = ()
    """Per segment, the bytes from its start to the end of its first (key) frame."""
    width: int | None = None
    height: int | None = None
    frame_rate: str | None = None
    sample_rate: int | None = None
    channels: int | None = None

    @property
    def duration(self) -> float:
        return sum(self.durations) / self.timescale

    @property
    def size_bytes(self) -> int:
        return self.init_size + sum(self.sizes)

    @property
    def seconds(self) -> list[float]:
        return [duration / self.timescale for duration in self.durations]

    @property
    def average_bandwidth(self) -> int:
        return average_bit_rate(self.sizes, self.seconds)

    @property
    def peak_bandwidth(self) -> int:
        """RFC 8216's peak segment bit rate: what HLS's BANDWIDTH and DASH's @bandwidth say."""
        return peak_bit_rate(self.sizes, self.seconds)


def gop_frames(fps: float, segment_seconds: int) -> int:
    return max(1, round(fps * segment_seconds))


def x264_options(fps: float, segment_seconds: int, preset: str) -> list[str]:
    """The encoder settings every rung and every per-title trial share."""
    gop = gop_frames(fps, segment_seconds)
    # A fixed GOP with no scene-cut keyframes: keyframes fall on the same frames in every
    # rung. (x264 caps min-keyint at keyint/2+1; without scene cuts it never matters.)
    params = f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0"
    return ["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-x264-params", params]


def scale_filter(width: int, height: int) -> str:
    return f"scale={width}:{height}:flags=lanczos,setsar=1"


async def encode_video(
    source: Path,
    info: SourceInfo,
    rung: Rung,
    folder: Path,
    *,
    segment_seconds: int,
    preset: str,
    key: ContentKey | None = None,
    on_progress: ProgressCallback | None = None,
) -> EncodedStream:
    """Encode ``rung`` of ``source`` into ``folder`` (which must not exist yet)."""
    _make_folder(folder)
    rate = _rate_control(rung)
    args = ["-i", str(source), "-map", "0:V:0", "-an", "-sn", "-dn"]
    args += ["-vf", scale_filter(rung.width, rung.height)]
    args += x264_options(info.fps, segment_seconds, preset) + rate
    args += _dash_output(folder, segment_seconds, key)
    await run_ffmpeg(args, on_progress=on_progress)
    return _collect(folder, key)


async def encode_audio(
    source: Path,
    folder: Path,
    *,
    segment_seconds: int,
    key: ContentKey | None = None,
    on_progress: ProgressCallback | None = None,
) -> EncodedStream:
    """Encode the first audio track of ``source`` to stereo AAC-LC in ``folder``."""
    _make_folder(folder)
    args = ["-i", str(source), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    args += ["-c:a", "aac", "-b:a", str(AUDIO_BITRATE), "-ac", "2", "-ar", "48000"]
    args += _dash_output(folder, segment_seconds, key)
    await run_ffmpeg(args, on_progress=on_progress)
    return _collect(folder, key)


def _rate_control(rung: Rung) -> list[str]:
    if rung.crf is None:
        # Fixed rungs aim at their bitrate: capped VBR, room for hard scenes, peaks bounded.
        target, maxrate, bufsize = (
            ["-b:v", str(rung.bitrate)],
            rung.bitrate * 3 // 2,
            rung.bitrate * 3,
        )
    else:
        # Per-title rungs aim at a quality (capped CRF); the cap keeps the peak near the
        # bitrate the trials measured, should the title be harder than its sample.
        # A rung with its own cap (the bottom one) gets a one-second buffer: a tight cap.
        maxrate = rung.max_bitrate or rung.bitrate * 2
        bufsize = maxrate if rung.max_bitrate else maxrate * 2
        target = ["-crf", f"{rung.crf:g}"]
    return [*target, "-maxrate", str(maxrate), "-bufsize", str(bufsize)]


def _make_folder(folder: Path) -> None:
    # Must be new: a leftover segment from an interrupted run would join the timeline.
    folder.mkdir(parents=True)


def _dash_output(folder: Path, segment_seconds: int, key: ContentKey | None) -> list[str]:
    args = ["-f", "dash", "-seg_duration", str(segment_seconds)]
    args += ["-use_template", "1", "-use_timeline", "1", "-single_file", "0"]
    args += ["-init_seg_name", INIT_NAME, "-media_seg_name", MEDIA_TEMPLATE]
    if key is not None:
        # The mp4 muxer under the dash muxer encrypts every sample: CENC, AES-CTR mode.
        options = (
            f"encryption_scheme=cenc-aes-ctr:encryption_key={key.key.hex()}"
            f":encryption_kid={key.kid.hex()}"
        )
        args += ["-format_options", options]
    return [*args, str(folder / _MUXER_MPD)]


def read_stream(folder: Path) -> EncodedStream:
    """The representation the dash muxer left in ``folder``, from its MPD and files."""
    mpd_path = folder / _MUXER_MPD
    root = ET.parse(mpd_path).getroot()
    adaptation = root.find(f"{_MPD}Period/{_MPD}AdaptationSet")
    representation = root.find(f"{_MPD}Period/{_MPD}AdaptationSet/{_MPD}Representation")
    template = root.find(f".//{_MPD}SegmentTemplate")
    if adaptation is None or representation is None or template is None:
        raise RuntimeError(f"{mpd_path}: no representation in the dash muxer's MPD")
    start, durations = _timeline(template)
    segments = [
        _segment_facts(folder / MEDIA_TEMPLATE.replace("$Number%05d$", f"{n:05d}"))
        for n in range(1, len(durations) + 1)
    ]
    init = (folder / INIT_NAME).read_bytes()
    channels = representation.find(f"{_MPD}AudioChannelConfiguration")
    return EncodedStream(
        folder=folder,
        codecs=mp4.codec_string(init),
        timescale=int(template.attrib["timescale"]),
        start=start,
        durations=durations,
        sizes=tuple(size for size, _ in segments),
        init_size=len(init),
        keyframe_sizes=tuple(keyframe for _, keyframe in segments),
        width=_int(representation.get("width")),
        height=_int(representation.get("height")),
        frame_rate=adaptation.get("frameRate"),
        sample_rate=_int(representation.get("audioSamplingRate")),
        channels=_int(channels.get("value")) if channels is not None else None,
    )


def _segment_facts(path: Path) -> tuple[int, int]:
    """A segment's size and where its keyframe ends (one segment in memory at a time)."""
    data = path.read_bytes()
    return len(data), mp4.first_sample_end(data)


def _collect(folder: Path, key: ContentKey | None) -> EncodedStream:
    if key is not None:
        # The W3C common pssh in the init segment: the 'cenc' init data every browser's
        # Clear Key reads from the "encrypted" event (ffmpeg writes none).
        init = folder / INIT_NAME
        init.write_bytes(mp4.with_pssh(init.read_bytes(), pssh_box([key.kid])))
    stream = read_stream(folder)
    (folder / _MUXER_MPD).unlink()  # the title's own manifests replace it
    return stream


def _timeline(template: ET.Element) -> tuple[int, tuple[int, ...]]:
    start: int | None = None
    durations: list[int] = []
    for entry in template.iter(f"{_MPD}S"):
        if start is None:
            start = int(entry.get("t", "0"))
        durations += [int(entry.attrib["d"])] * (int(entry.get("r", "0")) + 1)
    if start is None:
        raise RuntimeError("the dash muxer wrote no segments")
    return start, tuple(durations)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None else None
