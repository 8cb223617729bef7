"""Still images of a title: a poster, a backdrop, and trickplay tiles for scrubbing.

Trickplay: one 320-pixel-wide frame every 10 seconds, packed 10x10 into JPEG tiles, so a
player showing previews while the viewer drags the seek bar fetches one image per 1000 s
instead of one per thumbnail.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from media.ffmpeg import ProgressCallback, run_ffmpeg
from media.manifests import Trickplay
from media.probe import SourceInfo

TRICKPLAY_INTERVAL = 10
TRICKPLAY_WIDTH = 320
TRICKPLAY_GRID = 10
POSTER_SIZE = (400, 600)  # 2:3, as catalogs show posters
BACKDROP_MAX_WIDTH = 1280  # 16:9

_SHOWINFO = re.compile(r"\bn:\s*\d+ .* s:(\d+)x(\d+)")


async def make_images(
    source: Path,
    info: SourceInfo,
    asset_folder: Path,
    *,
    on_progress: ProgressCallback | None = None,
) -> tuple[dict[str, str], Trickplay]:
    """Write ``images/`` into ``asset_folder``; returns the image paths (relative to the
    asset folder) and the trickplay description."""
    folder = asset_folder / "images"
    await asyncio.to_thread((folder / "trickplay").mkdir, parents=True)
    # A third of the way in: past opening titles and black frames, before the credits.
    moment = info.duration / 3
    # `thumbnail` picks the most typical of the frames it sees, which avoids fades.
    pick = f"thumbnail={max(2, min(50, int(info.fps * 2)))}"
    poster_w, poster_h = POSTER_SIZE
    await _still(
        source,
        moment,
        f"{pick},crop='min(iw,ih*2/3)':'min(ih,iw*3/2)',scale={poster_w}:{poster_h}",
        folder / "poster.jpg",
    )
    await _still(
        source,
        moment,
        f"{pick},crop='min(iw,ih*16/9)':'min(ih,iw*9/16)',scale='min({BACKDROP_MAX_WIDTH},iw)':-2",
        folder / "backdrop.jpg",
    )
    # fps rounds a clip shorter than half an interval to no frame at all: keep its last.
    short = info.duration < TRICKPLAY_INTERVAL / 2
    trickplay = await _trickplay(source, folder / "trickplay", on_progress, keep_last=short)
    description = json.dumps(_trickplay_json(trickplay), indent=2)
    await asyncio.to_thread((folder / "trickplay.json").write_text, description, "utf-8")
    images = {
        "poster": "images/poster.jpg",
        "backdrop": "images/backdrop.jpg",
        "trickplay": "images/trickplay.json",
    }
    return images, trickplay


async def _still(source: Path, moment: float, filters: str, target: Path) -> None:
    args = ["-ss", f"{moment:.3f}", "-i", str(source), "-map", "0:V:0", "-vf", filters]
    await run_ffmpeg([*args, "-frames:v", "1", "-q:v", "3", "-update", "1", str(target)])


async def _trickplay(
    source: Path, folder: Path, on_progress: ProgressCallback | None, *, keep_last: bool
) -> Trickplay:
    grid = f"{TRICKPLAY_GRID}x{TRICKPLAY_GRID}"
    rate = f"fps=1/{TRICKPLAY_INTERVAL}" + (":eof_action=pass" if keep_last else "")
    # showinfo logs each sampled frame before tiling: how many there are, and their size.
    filters = f"{rate},scale={TRICKPLAY_WIDTH}:-2,showinfo,tile={grid}"
    args = ["-i", str(source), "-map", "0:V:0", "-vf", filters, "-q:v", "5"]
    log = await run_ffmpeg(
        [*args, "-start_number", "1", str(folder / "tile-%04d.jpg")], on_progress=on_progress
    )
    frames = _SHOWINFO.findall(log)
    if not frames:
        raise RuntimeError("ffmpeg sampled no trickplay frames")
    width, height = map(int, frames[0])
    files = await asyncio.to_thread(_tiles, folder)
    return Trickplay(
        files=tuple(f"images/trickplay/{name}" for name in files),
        interval=TRICKPLAY_INTERVAL,
        width=width,
        height=height,
        columns=TRICKPLAY_GRID,
        rows=TRICKPLAY_GRID,
        count=len(frames),
    )


def _tiles(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("tile-*.jpg"))


def _trickplay_json(trickplay: Trickplay) -> dict[str, object]:
    # Paths relative to this JSON file, so the folder can be served as it is.
    return {
        "interval": trickplay.interval,
        "width": trickplay.width,
        "height": trickplay.height,
        "columns": trickplay.columns,
        "rows": trickplay.rows,
        "count": trickplay.count,
        "tiles": [path.removeprefix("images/") for path in trickplay.files],
    }
