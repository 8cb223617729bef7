"""Catalog reads and writes: videos, seasons, episodes.

Every read that lists titles takes the viewer's maturity ceiling, so a title above it is
never even fetched; the directive layer checks again on the way out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, Table, Text, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import Episode, Page, Season, Video
from core.viewing_records import EpisodeSlot
from datasources.tables import episodes, seasons, videos

_VIDEO_COLUMNS = [
    c for c in videos.c if c.name not in ("search_vector", "external_id", "created_at")
]


async def _page(engine: AsyncEngine, query: Select[Any], offset: int, limit: int) -> Page[Video]:
    # The total rides along as a window column, so a page costs one statement.
    paged = query.add_columns(func.count().over().label("total")).offset(offset).limit(limit)
    async with engine.connect() as connection:
        rows = (await connection.execute(paged)).all()
        if rows:
            return Page([Video.from_row(row) for row in rows], rows[0].total)
        if offset == 0:
            return Page([], 0)
        # Past the end: the window saw no rows, so count separately.
        total = await connection.scalar(select(func.count()).select_from(query.subquery()))
        return Page([], total or 0)


async def list_videos(
    engine: AsyncEngine, *, max_maturity: int, genre: str | None, offset: int, limit: int
) -> Page[Video]:
    query = select(*_VIDEO_COLUMNS).where(videos.c.maturity_level <= max_maturity)
    if genre is not None:
        query = query.where(videos.c.genres.any_() == genre)
    query = query.order_by(videos.c.popularity.desc(), videos.c.id)
    return await _page(engine, query, offset, limit)


async def search_videos(
    engine: AsyncEngine, *, text: str, max_maturity: int, offset: int, limit: int
) -> Page[Video]:
    """Full-text matches and near spellings ("toy stroy"), best first."""
    tsquery = func.websearch_to_tsquery("english", text)
    # `%`: the whole title is close; `<%`: the query is close to some words of the title.
    close_title = videos.c.title.op("%", is_comparison=True)(text)
    close_words = literal(text, Text).op("<%", is_comparison=True)(videos.c.title)
    matches_words = videos.c.search_vector.op("@@", is_comparison=True)(tsquery)
    relevance = func.ts_rank(videos.c.search_vector, tsquery) + func.word_similarity(
        text, videos.c.title
    )
    query = (
        select(*_VIDEO_COLUMNS)
        .where(videos.c.maturity_level <= max_maturity)
        .where(or_(matches_words, close_title, close_words))
        .order_by(relevance.desc(), videos.c.popularity.desc(), videos.c.id)
    )
    return await _page(engine, query, offset, limit)


async def videos_by_id(engine: AsyncEngine, ids: Sequence[int]) -> dict[int, Video]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(*_VIDEO_COLUMNS).where(videos.c.id.in_(ids)))
        return {row.id: Video.from_row(row) for row in rows}


async def _children(
    engine: AsyncEngine, table: Table, parent: str, order: str, parent_ids: Sequence[int]
) -> dict[int, list[Any]]:
    """Rows of ``table`` grouped by their ``parent`` column, each group in ``order``."""
    query = (
        select(table)
        .where(table.c[parent].in_(parent_ids))
        .order_by(table.c[parent], table.c[order])
    )
    grouped: dict[int, list[Any]] = defaultdict(list)
    async with engine.connect() as connection:
        for row in await connection.execute(query):
            grouped[row._mapping[parent]].append(row._mapping)
    return grouped


async def seasons_by_video(
    engine: AsyncEngine, video_ids: Sequence[int]
) -> dict[int, list[Season]]:
    rows = await _children(engine, seasons, "video_id", "season_number", video_ids)
    return {key: [Season(**row) for row in group] for key, group in rows.items()}


async def episodes_by_season(
    engine: AsyncEngine, season_ids: Sequence[int]
) -> dict[int, list[Episode]]:
    rows = await _children(engine, episodes, "season_id", "episode_number", season_ids)
    return {key: [Episode(**row) for row in group] for key, group in rows.items()}


async def episode_slots(
    engine: AsyncEngine, video_ids: Sequence[int]
) -> dict[int, list[EpisodeSlot]]:
    """Each series' episodes in viewing order: what progress is recorded against.

    The one place they are worked out, for a request's DataLoader and for replay alike.
    """
    query = (
        select(episodes.c.video_id, episodes.c.id, episodes.c.duration_minutes)
        .join(seasons, seasons.c.id == episodes.c.season_id)
        .where(episodes.c.video_id.in_(video_ids))
        .order_by(episodes.c.video_id, seasons.c.season_number, episodes.c.episode_number)
    )
    found: dict[int, list[EpisodeSlot]] = defaultdict(list)
    async with engine.connect() as connection:
        for row in await connection.execute(query):
            slot = EpisodeSlot(row.id, float((row.duration_minutes or 0) * 60))
            found[row.video_id].append(slot)
    return found


async def genres(engine: AsyncEngine, *, max_maturity: int) -> list[str]:
    genre = func.unnest(videos.c.genres).label("genre")
    query = select(genre).where(videos.c.maturity_level <= max_maturity).distinct().order_by(genre)
    async with engine.connect() as connection:
        return list((await connection.scalars(query)).all())


async def create_video(engine: AsyncEngine, values: Mapping[str, Any]) -> Video:
    async with engine.begin() as connection:
        row = (
            await connection.execute(insert(videos).values(**values).returning(*_VIDEO_COLUMNS))
        ).one()
        return Video.from_row(row)


async def update_video(
    engine: AsyncEngine, video_id: int, values: Mapping[str, Any]
) -> Video | None:
    statement = update(videos).where(videos.c.id == video_id).values(**values)
    async with engine.begin() as connection:
        row = (await connection.execute(statement.returning(*_VIDEO_COLUMNS))).one_or_none()
        return Video.from_row(row) if row else None


async def delete_video(engine: AsyncEngine, video_id: int) -> bool:
    async with engine.begin() as connection:
        result = await connection.execute(delete(videos).where(videos.c.id == video_id))
        return result.rowcount > 0


async def count_videos(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(videos)) or 0)


async def episodes_by_id(engine: AsyncEngine, ids: Sequence[int]) -> dict[int, Episode]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(episodes).where(episodes.c.id.in_(ids)))
        return {row.id: Episode(**row._mapping) for row in rows}


async def seasons_by_id(engine: AsyncEngine, ids: Sequence[int]) -> dict[int, Season]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(seasons).where(seasons.c.id.in_(ids)))
        return {row.id: Season(**row._mapping) for row in rows}
