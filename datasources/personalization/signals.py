"""A profile's explicit signals: its list and its thumbs."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import Page
from datasources.tables import my_list, ratings, videos


async def add_to_list(engine: AsyncEngine, profile_id: UUID, video_id: int) -> None:
    """Idempotent: adding twice keeps the first addition's place in the list."""
    statement = insert(my_list).values(profile_id=profile_id, video_id=video_id)
    async with engine.begin() as connection:
        await connection.execute(statement.on_conflict_do_nothing())


async def remove_from_list(engine: AsyncEngine, profile_id: UUID, video_id: int) -> bool:
    statement = delete(my_list).where(
        my_list.c.profile_id == profile_id, my_list.c.video_id == video_id
    )
    async with engine.begin() as connection:
        return (await connection.execute(statement)).rowcount > 0


async def list_page(
    engine: AsyncEngine, profile_id: UUID, *, max_maturity: int, offset: int, limit: int
) -> Page[int]:
    """Video ids on the list, newest addition first, above-maturity titles left out."""
    query = (
        select(my_list.c.video_id, func.count().over().label("total"))
        .join(videos, videos.c.id == my_list.c.video_id)
        .where(my_list.c.profile_id == profile_id, videos.c.maturity_level <= max_maturity)
        .order_by(my_list.c.added_at.desc(), my_list.c.video_id)
        .offset(offset)
        .limit(limit)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
        if rows or offset == 0:
            return Page([row.video_id for row in rows], rows[0].total if rows else 0)
        total = await connection.scalar(
            select(func.count())
            .select_from(my_list.join(videos, videos.c.id == my_list.c.video_id))
            .where(my_list.c.profile_id == profile_id, videos.c.maturity_level <= max_maturity)
        )
        return Page([], int(total or 0))


async def listed(
    engine: AsyncEngine, keys: Sequence[tuple[UUID, int]]
) -> dict[tuple[UUID, int], bool]:
    """Which (profile, video) pairs are on the list: the inMyList DataLoader's batch."""
    profile_ids = {profile for profile, _ in keys}
    video_ids = {video for _, video in keys}
    query = select(my_list.c.profile_id, my_list.c.video_id).where(
        my_list.c.profile_id.in_(profile_ids), my_list.c.video_id.in_(video_ids)
    )
    async with engine.connect() as connection:
        found = {(row.profile_id, row.video_id) for row in await connection.execute(query)}
    return {key: key in found for key in keys}


async def rate(engine: AsyncEngine, profile_id: UUID, video_id: int, rating: int) -> None:
    """+1 or -1 sets the thumb; 0 clears it."""
    async with engine.begin() as connection:
        if rating == 0:
            await connection.execute(
                delete(ratings).where(
                    ratings.c.profile_id == profile_id, ratings.c.video_id == video_id
                )
            )
            return
        statement = insert(ratings).values(profile_id=profile_id, video_id=video_id, rating=rating)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=["profile_id", "video_id"],
                set_={"rating": rating, "rated_at": func.now()},
            )
        )


async def ratings_of(
    engine: AsyncEngine, keys: Sequence[tuple[UUID, int]]
) -> dict[tuple[UUID, int], int]:
    profile_ids = {profile for profile, _ in keys}
    video_ids = {video for _, video in keys}
    query = select(ratings.c.profile_id, ratings.c.video_id, ratings.c.rating).where(
        ratings.c.profile_id.in_(profile_ids), ratings.c.video_id.in_(video_ids)
    )
    async with engine.connect() as connection:
        return {
            (row.profile_id, row.video_id): row.rating for row in await connection.execute(query)
        }


async def profile_ratings(engine: AsyncEngine, profile_id: UUID) -> dict[int, int]:
    """Every thumb the profile gave: video id -> +1 or -1."""
    query = select(ratings.c.video_id, ratings.c.rating).where(ratings.c.profile_id == profile_id)
    async with engine.connect() as connection:
        return {row.video_id: row.rating for row in await connection.execute(query)}
