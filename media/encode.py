"""Encode one rung (or the audio) into CMAF fragmented-MP4 segments.

Each representation is its own ffmpeg run through the dash muxer, which cuts segments at
keyframes and writes one init segment plus numbered media segments. Its MPD is read for
the exact segment timeline and then dropped: the title's manifests are written by
:mod:`media.package` from every representation at once. Everything else they declare is
read from the files: the codec string from the init segment, bit rates from the segments'
sizes (:mod:`media.bitrates`), where each keyframe ends (:mod:`media.mp4`).

H.264 rungs are 8-bit SDR, for every device: an HDR source is tone-mapped to BT.709 for
them. AV1 rungs (SVT-AV1) keep an HDR source's PQ or HLG in 10 bits, with its colour
description in the sequence header and the init segment (``colr``; ``mdcv`` and ``clli``
where the source has mastering and light-level metadata); SDR AV1 rungs are 8-bit BT.709.

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
from media.probe import Colour, SourceInfo

INIT_NAME = "init.mp4"
MEDIA_TEMPLATE = "seg-$Number%05d$.m4s"
AUDIO_BITRATE = 128_000
AUDIO_SAMPLE_RATE = 48_000
AAC_FRAME_SAMPLES = 1024
AV1_PRESET = 10
"""SVT-AV1's speed (0 slowest, 13 fastest; 10 and up are its fast, lower-efficiency
presets). Tests and the demo use 12, which the library runs as its fastest, 11."""
# zscale: to linear light, to BT.709 primaries, Hable's curve, back to a BT.709 signal.
_TONEMAP = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,"
    "zscale=t=bt709:m=bt709:r=tv,format=yuv420p"
)
_SDR_TAGS = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]
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
    colour: tuple[int, int, int] | None = None
    """H.273 primaries, transfer and matrix from the init segment's ``colr`` box."""

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


def svtav1_options(fps: float, segment_seconds: int, preset: int, colour: Colour) -> list[str]:
    """SVT-AV1 with the same fixed GOP as the H.264 rungs; 10-bit HDR for an HDR source."""
    gop = gop_frames(fps, segment_seconds)
    # scd=0: no scene-change keyframes, so keyframes line up with the H.264 rungs' too.
    params = [f"keyint={gop}", "scd=0"]
    args = ["-c:v", "libsvtav1", "-preset", str(preset), "-g", str(gop)]
    if not colour.is_hdr:
        # ffmpeg's colour options reach SVT-AV1's sequence header only in part (the matrix;
        # primaries and transfer stay "unspecified"): BT.709 is said to the encoder itself,
        # so the stream is what its short codec string av01.P.LLT.DD stands for.
        params += ["color-primaries=1", "transfer-characteristics=1", "matrix-coefficients=1"]
        return [*args, "-pix_fmt", "yuv420p", "-svtav1-params", ":".join(params), *_SDR_TAGS]
    mastering = colour.mastering
    if mastering is not None:
        points = {
            "G": mastering.green,
            "B": mastering.blue,
            "R": mastering.red,
            "WP": mastering.white,
        }
        xy = "".join(f"{label}({x:.4f},{y:.4f})" for label, (x, y) in points.items())
        luminance = f"L({mastering.max_luminance:.4f},{mastering.min_luminance:.4f})"
        params.append(f"mastering-display={xy}{luminance}")
    if colour.max_cll is not None and colour.max_fall is not None:
        params.append(f"content-light={colour.max_cll},{colour.max_fall}")
    tags = [
        "-color_primaries",
        colour.primaries or "bt2020",
        "-color_trc",
        colour.transfer or "smpte2084",
        "-colorspace",
        colour.matrix or "bt2020nc",
    ]
    return [*args, "-pix_fmt", "yuv420p10le", "-svtav1-params", ":".join(params), *tags]


def video_filter(rung: Rung, info: SourceInfo) -> str:
    """Scale to the rung; tone-map an HDR source for an (SDR) H.264 rung, after scaling so
    the float maths runs on the small picture."""
    scale = scale_filter(rung.width, rung.height)
    if rung.codec == "h264" and info.colour.is_hdr:
        return f"{scale},{_TONEMAP}"
    return scale


async def encode_video(
    source: Path,
    info: SourceInfo,
    rung: Rung,
    folder: Path,
    *,
    segment_seconds: int,
    preset: str,
    key: ContentKey | None = None,
    av1_preset: int = AV1_PRESET,
    on_progress: ProgressCallback | None = None,
) -> EncodedStream:
    """Encode ``rung`` of ``source`` into ``folder`` (which must not exist yet)."""
    _make_folder(folder)
    args = ["-i", str(source), "-map", "0:V:0", "-an", "-sn", "-dn"]
    args += ["-vf", video_filter(rung, info)]
    if rung.codec == "av1":
        args += svtav1_options(info.fps, segment_seconds, av1_preset, info.colour)
        # VBR at the rung's target: AV1 rungs carry no CRF (media.ladder.av1_ladder).
        args += ["-b:v", str(rung.bitrate)]
    else:
        args += x264_options(info.fps, segment_seconds, preset) + _rate_control(rung)
        if info.colour.is_hdr:
            args += _SDR_TAGS
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
    """Encode the first audio track of ``source`` to stereo AAC-LC in ``folder``.

    The track is whole AAC frames: the last one is padded with silence rather than cut
    short by its sample duration. Chromium decodes and plays a cut frame whole while its
    clock sits clamped at the duration: up to a frame (21 ms) at the end of a title during
    which the element reads as at its end but has not fired ``ended``, long enough for
    dash.js to pause it there for good (docs/drm_and_players.md).
    """
    _make_folder(folder)
    args = ["-i", str(source), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    # Resampled and downmixed before the frames are counted; asetnsamples pads the last.
    whole_frames = (
        f"aresample={AUDIO_SAMPLE_RATE},aformat=channel_layouts=stereo,"
        f"asetnsamples=n={AAC_FRAME_SAMPLES}:p=1"
    )
    args += ["-af", whole_frames, "-c:a", "aac", "-b:a", str(AUDIO_BITRATE)]
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
    described = mp4.colour(init)
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
        colour=((described.primaries, described.transfer, described.matrix) if described else None),
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
