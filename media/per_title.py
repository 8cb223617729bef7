"""Per-title ladders: measure how this title encodes, then pick rungs from its best curve.

Netflix's per-title recipe, scaled down to run on a laptop: a few seconds are cut from the
title (a window or two from its middle), encoded at several resolutions and quality
settings (x264 CRF) with the same encoder settings as the real rungs, and each trial is
scored with VMAF against the original, upscaled to the original's size as a player would.
Per resolution the trials form a rate-quality curve; its convex hull is what that
resolution can do at best, and the merged hulls say which resolution to use at each
bitrate. :func:`media.hull.choose_rungs` then picks the rungs.

A cartoon reaches VMAF 94 for a fraction of the bits a handheld shot of a crowd needs;
the fixed ladder pays the crowd's price for both.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from media.encode import scale_filter, x264_options
from media.ffmpeg import run_ffmpeg
from media.hull import Choice, Point, choose_rungs, upper_hull
from media.ladder import Rung, fit, fits_without_upscaling, native_size
from media.probe import SourceInfo, probe

TRIAL_HEIGHTS = (2160, 1440, 1080, 720, 540, 360, 240)
TRIAL_CRFS = (18, 24, 30, 36, 42)
# VMAF's standard model is trained for a 1080p screen: score larger sources at 1080p.
VMAF_MAX_HEIGHT = 1080
VMAF_FRAMES = 25  # enough frames for a stable mean; the others are skipped
MIN_BITRATE = 30_000
BOTTOM_BITRATE = 300_000

StepCallback = Callable[[int, int], None]
"""Called with (steps done, steps in all) as the analysis advances."""


@dataclass(frozen=True, slots=True)
class Trial:
    width: int
    height: int
    crf: int
    bitrate: float
    vmaf: float

    def point(self) -> Point:
        return Point(self.width, self.height, self.bitrate, self.vmaf, self.crf)


def trial_sizes(info: SourceInfo, max_sizes: int = 5) -> list[tuple[int, int]]:
    """The picture sizes to try, largest first, none larger than the source."""
    sizes = [fit(info.width, info.height, box) for box in TRIAL_HEIGHTS]
    sizes = list(
        dict.fromkeys(
            size
            for box, size in zip(TRIAL_HEIGHTS, sizes, strict=True)
            if fits_without_upscaling(info, box)
        )
    )
    if not sizes:
        return [native_size(info)]
    if len(sizes) > max_sizes:
        # Keep the largest and smallest, and spread the rest evenly between them.
        last = len(sizes) - 1
        picks = sorted({round(i * last / (max_sizes - 1)) for i in range(max_sizes)})
        sizes = [sizes[i] for i in picks]
    return sizes


def sample_windows(duration: float, seconds: float, windows: int) -> list[tuple[float, float]]:
    """(start, length) of the stretches to trial-encode: evenly spread, whole when short."""
    if duration <= seconds * 1.25 or windows < 1:
        return [(0.0, duration)]
    length = seconds / windows
    return [
        (max(0.0, duration * (i + 1) / (windows + 1) - length / 2), length) for i in range(windows)
    ]


async def analyse(
    source: Path,
    info: SourceInfo,
    workdir: Path,
    *,
    preset: str,
    segment_seconds: int,
    sample_seconds: float = 4.0,
    windows: int = 2,
    crfs: tuple[int, ...] = TRIAL_CRFS,
    max_sizes: int = 5,
    on_step: StepCallback | None = None,
) -> list[Trial]:
    """Trial-encode a sample of ``source`` (in ``workdir``) and score every trial."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    sizes = trial_sizes(info, max_sizes)
    total, done = 1 + 2 * len(sizes), 0

    def step() -> None:
        nonlocal done
        done += 1
        if on_step is not None:
            on_step(done, total)

    sample = workdir / "sample.mkv"
    await _cut_sample(source, sample, sample_windows(info.duration, sample_seconds, windows))
    sample_info = await probe(sample)
    step()
    vmaf_size = fit(info.width, info.height, VMAF_MAX_HEIGHT)
    if not fits_without_upscaling(info, VMAF_MAX_HEIGHT):
        vmaf_size = native_size(info)
    subsample = max(1, round(sample_info.duration * info.fps / VMAF_FRAMES))
    trials: list[Trial] = []
    for width, height in sizes:
        encodes = [workdir / f"trial-{height}p-crf{crf}.264" for crf in crfs]
        await _encode_trials(
            sample, width, height, crfs, encodes, info.fps, preset, segment_seconds
        )
        step()
        scores = await _score(sample, encodes, vmaf_size, subsample, workdir)
        step()
        for crf, encode, score in zip(crfs, encodes, scores, strict=True):
            bitrate = encode.stat().st_size * 8 / sample_info.duration
            trials.append(Trial(width, height, crf, bitrate, score))
    return trials


def trial_hulls(trials: list[Trial]) -> list[list[Point]]:
    """Each trial resolution's rate-quality hull."""
    by_size: dict[tuple[int, int], list[Point]] = defaultdict(list)
    for trial in trials:
        by_size[(trial.width, trial.height)].append(trial.point())
    return [upper_hull(points) for points in by_size.values()]


def rung_for(choice: Choice, max_bitrate: int | None = None) -> Rung:
    """The rung that encodes a point chosen on the hulls."""
    # Round to 10 kb/s: finer targets promise a precision the encoder does not have.
    bitrate = max(MIN_BITRATE, round(choice.bitrate / 10_000) * 10_000)
    crf = None if choice.setting is None else round(min(max(choice.setting, 0), 51), 1)
    return Rung(choice.width, choice.height, bitrate, round(choice.vmaf, 1), crf, max_bitrate)


def ladder_from_trials(trials: list[Trial], *, max_rungs: int = 8) -> list[Rung]:
    """The per-title ladder, best first, from scored trials."""
    choices = choose_rungs(trial_hulls(trials), max_rungs=max_rungs, bottom_bitrate=BOTTOM_BITRATE)
    rungs: list[Rung] = []
    for index, choice in enumerate(choices):
        rung = rung_for(choice)
        if index == len(choices) - 1:
            # The bottom rung is for the slowest links: a title harder than its sample
            # loses quality there, never the promise of at most BOTTOM_BITRATE.
            rung = rung_for(choice, min(2 * rung.bitrate, BOTTOM_BITRATE))
        if all(other.name != rung.name for other in rungs):
            rungs.append(rung)
    return rungs


async def per_title_ladder(
    source: Path,
    info: SourceInfo,
    workdir: Path,
    *,
    preset: str,
    segment_seconds: int,
    sample_seconds: float = 4.0,
    windows: int = 2,
    max_rungs: int = 8,
    on_step: StepCallback | None = None,
) -> tuple[list[Rung], list[Trial]]:
    """The per-title ladder of ``source`` and the trials it was chosen from."""
    trials = await analyse(
        source,
        info,
        workdir,
        preset=preset,
        segment_seconds=segment_seconds,
        sample_seconds=sample_seconds,
        windows=windows,
        on_step=on_step,
    )
    return ladder_from_trials(trials, max_rungs=max_rungs), trials


async def _cut_sample(source: Path, target: Path, windows: list[tuple[float, float]]) -> None:
    args: list[str] = []
    for start, length in windows:
        args += ["-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(source)]
    inputs = "".join(f"[{i}:V:0]" for i in range(len(windows)))
    joined = f"concat=n={len(windows)}:v=1:a=0," if len(windows) > 1 else ""
    # Renumbered frames: the windows join without a gap an encoder would fill with copies.
    graph = f"{inputs}{joined}setpts=N/FRAME_RATE/TB,format=yuv420p[v]"
    # Lossless, so the trials and their VMAF reference start from the very same pictures.
    lossless = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"]
    await run_ffmpeg([*args, "-filter_complex", graph, "-map", "[v]", *lossless, str(target)])


async def _encode_trials(
    sample: Path,
    width: int,
    height: int,
    crfs: tuple[int, ...],
    targets: list[Path],
    fps: float,
    preset: str,
    segment_seconds: int,
) -> None:
    labels = [f"[t{i}]" for i in range(len(crfs))]
    graph = f"[0:v]{scale_filter(width, height)},split={len(crfs)}{''.join(labels)}"
    args = ["-i", str(sample), "-filter_complex", graph]
    for label, crf, target in zip(labels, crfs, targets, strict=True):
        args += ["-map", label, *x264_options(fps, segment_seconds, preset)]
        # Raw H.264: the file size is the video's bits, with no container overhead.
        args += ["-crf", str(crf), "-fps_mode", "passthrough", "-f", "h264", str(target)]
    await run_ffmpeg(args)


async def _score(
    sample: Path, encodes: list[Path], size: tuple[int, int], subsample: int, workdir: Path
) -> list[float]:
    width, height = size
    # Pair frames by position, whatever timestamps the raw H.264 streams are given. (Frames
    # are skipped with n_subsample, not dropped before: VMAF's motion feature compares each
    # reference frame with the one before it, and would see faster motion than there is.)
    same_clock = "settb=1/1000,setpts=N"
    upscale = f"scale={width}:{height}:flags=bicubic"
    count = len(encodes)
    refs = "".join(f"[r{i}]" for i in range(count))
    parts = [f"[0:v]{same_clock},{upscale},split={count}{refs}"]
    logs = [f"vmaf-{encode.stem}.json" for encode in encodes]
    args = ["-i", str(sample)]
    for i, encode in enumerate(encodes):
        args += ["-i", str(encode)]
        options = f"log_fmt=json:log_path={logs[i]}:n_threads=2:n_subsample={subsample}"
        parts.append(f"[{i + 1}:v]{same_clock},{upscale}[d{i}];[d{i}][r{i}]libvmaf={options}[v{i}]")
    args += ["-filter_complex", ";".join(parts)]
    for i in range(count):
        args += ["-map", f"[v{i}]", "-f", "null", "-"]
    await run_ffmpeg(args, cwd=workdir)
    return [await asyncio.to_thread(_pooled_vmaf, workdir / log) for log in logs]


def _pooled_vmaf(log: Path) -> float:
    data = json.loads(log.read_text(encoding="utf-8"))
    return float(data["pooled_metrics"]["vmaf"]["mean"])
