"""Embeddings in PostgreSQL: the feedback training reads, the models it writes, and the reads
that serve the current model.

A model is written beside the one being served, under its own version, and made current
by :func:`activate_model` in one transaction. Readers resolve "current" inside the same
statement that reads the vectors, so each read sees one whole model; a caller that makes
several reads and needs them to agree passes the version from :func:`current_model`, or
uses :func:`ranking_vectors`, which reads a profile and its candidates in one statement.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Select,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnClause

from datasources.personalization.embedding_tables import (
    current_embedding_model,
    embedding_models,
    profile_embeddings,
    title_embeddings,
)
from datasources.tables import my_list, profiles, ratings, videos
from datasources.viewing.store import ViewingStore

Vector = npt.NDArray[np.float32]

# Rows per INSERT batch (and per transaction): big enough to be quick, small enough that
# no transaction holds locks for long while the site is serving.
WRITE_BATCH = 1000


class UnknownModel(LookupError):
    """The model version does not exist (never written, or pruned)."""


# --- feedback: what training reads -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """Every signal one profile gave one title, summed up."""

    profile_id: UUID
    video_id: int
    watched: float  # titles' worth watched: a movie's fraction, or episodes (each up to 1)
    completed: bool  # the title as a whole (a whole series, for a series)
    rating: int  # +1, -1, or 0 for none
    in_my_list: bool
    at: datetime  # the newest of the signals


async def read_feedback(engine: AsyncEngine, viewing: ViewingStore) -> list[FeedbackRow]:
    """All viewing, rating and my-list feedback, one row per (profile, title), in
    (profile, title) order.

    Viewing comes from the viewing store (a full scan; PostgreSQL or Cassandra), ratings and
    My List from PostgreSQL, so the parts are not one snapshot: a signal given while this
    runs may be missing, and is read by the next training. Viewing of profiles or titles
    deleted since is left out: PostgreSQL's foreign keys delete it, Cassandra keeps it
    until its TTL.
    """
    rows: dict[tuple[UUID, int], FeedbackRow] = {}
    async for batch in viewing.watch_feedback():
        for seen in batch:
            rows[(seen.profile_id, seen.video_id)] = FeedbackRow(
                profile_id=seen.profile_id,
                video_id=seen.video_id,
                watched=seen.watched,
                completed=seen.completed,
                rating=0,
                in_my_list=False,
                at=seen.at,
            )
    async with engine.connect() as connection:
        if rows:
            live_profiles = set(await connection.scalars(select(profiles.c.id)))
            live_titles = set(await connection.scalars(select(videos.c.id)))
            rows = {
                key: row
                for key, row in rows.items()
                if key[0] in live_profiles and key[1] in live_titles
            }
        for row in await connection.execute(_explicit_feedback()):
            key = (row.profile_id, row.video_id)
            known = rows.get(key)
            rows[key] = FeedbackRow(
                profile_id=row.profile_id,
                video_id=row.video_id,
                watched=known.watched if known else 0.0,
                completed=known.completed if known else False,
                rating=int(row.rating),
                in_my_list=bool(row.in_my_list),
                at=max(known.at, row.at) if known else row.at,
            )
    # One order whichever store the viewing came from: training sees the same input.
    return [rows[key] for key in sorted(rows)]


def _explicit_feedback() -> Select[Any]:
    """Ratings and My List, one row per (profile, title)."""
    # Literal SQL rather than bound parameters: a bare parameter in a UNION branch has no
    # type for PostgreSQL to infer.
    zero: ColumnClause[Any] = literal_column("0")
    no: ColumnClause[Any] = literal_column("false")
    parts = union_all(
        select(
            ratings.c.profile_id,
            ratings.c.video_id,
            ratings.c.rating.label("rating"),
            no.label("in_my_list"),
            ratings.c.rated_at.label("at"),
        ),
        select(
            my_list.c.profile_id,
            my_list.c.video_id,
            zero,
            literal_column("true"),
            my_list.c.added_at,
        ),
    ).subquery("signals")
    return select(
        parts.c.profile_id,
        parts.c.video_id,
        func.sum(parts.c.rating).label("rating"),
        func.bool_or(parts.c.in_my_list).label("in_my_list"),
        func.max(parts.c.at).label("at"),
    ).group_by(parts.c.profile_id, parts.c.video_id)


# --- models: what training writes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelInfo:
    version: str
    dimensions: int
    params: dict[str, Any]
    profiles: int
    titles: int
    trained_at: datetime
    activated_at: datetime | None


async def create_model(
    engine: AsyncEngine,
    version: str,
    *,
    dimensions: int,
    trained_at: datetime,
    params: Mapping[str, Any],
) -> None:
    """Register a model whose vectors are about to be written; it serves nothing yet."""
    async with engine.begin() as connection:
        await connection.execute(
            insert(embedding_models).values(
                version=version, dimensions=dimensions, trained_at=trained_at, params=dict(params)
            )
        )


async def write_profile_vectors(
    engine: AsyncEngine, version: str, vectors: Sequence[tuple[UUID, Sequence[float]]]
) -> int:
    """Store profile vectors for ``version`` (a batch); returns how many were written.

    A profile deleted since training is skipped: its rows would break the foreign key.
    """
    return await _write(engine, version, vectors, profile_embeddings, "profile_id", profiles.c.id)


async def write_title_vectors(
    engine: AsyncEngine, version: str, vectors: Sequence[tuple[int, Sequence[float]]]
) -> int:
    """Store title vectors for ``version``; titles deleted since training are skipped."""
    return await _write(engine, version, vectors, title_embeddings, "video_id", videos.c.id)


async def _write(
    engine: AsyncEngine,
    version: str,
    vectors: Sequence[tuple[Any, Sequence[float]]],
    table: Any,
    key: str,
    parent_key: Any,
) -> int:
    written = 0
    for start in range(0, len(vectors), WRITE_BATCH):
        batch = vectors[start : start + WRITE_BATCH]
        async with engine.begin() as connection:
            # FOR KEY SHARE is the lock the foreign key check itself takes: it keeps the
            # parents we found from being deleted until this batch commits, without
            # blocking anything but their deletion.
            alive = set(
                await connection.scalars(
                    select(parent_key)
                    .where(parent_key.in_([owner for owner, _ in batch]))
                    .with_for_update(key_share=True)
                )
            )
            rows = [
                {"model_version": version, key: owner, "vector": [float(x) for x in vector]}
                for owner, vector in batch
                if owner in alive
            ]
            if rows:
                await connection.execute(insert(table), rows)
            written += len(rows)
    return written


async def activate_model(engine: AsyncEngine, version: str) -> str | None:
    """Make ``version`` the model readers see, in one transaction; returns the one it
    replaced (None for the first). Raises UnknownModel when ``version`` does not exist."""
    async with engine.begin() as connection:
        # Lock the switch row first: two trainers finishing together switch one at a time,
        # and each learns truly which model it replaced.
        previous = await connection.scalar(
            select(current_embedding_model.c.version).with_for_update()
        )
        counted = await _count_vectors(connection, version)
        found = await connection.execute(
            update(embedding_models)
            .where(embedding_models.c.version == version)
            .values(activated_at=func.now(), profiles=counted[0], titles=counted[1])
        )
        if found.rowcount == 0:
            raise UnknownModel(version)
        switch = pg_insert(current_embedding_model).values(singleton=True, version=version)
        await connection.execute(
            switch.on_conflict_do_update(
                index_elements=[current_embedding_model.c.singleton],
                set_={"version": version, "switched_at": func.now()},
            )
        )
    return previous


async def delete_model(engine: AsyncEngine, version: str) -> bool:
    """Delete a model and its vectors, unless it is the current one; True if deleted."""
    async with engine.begin() as connection:
        current = select(current_embedding_model.c.version).scalar_subquery()
        deleted = await connection.scalars(
            delete(embedding_models)
            .where(
                embedding_models.c.version == version,
                embedding_models.c.version != func.coalesce(current, ""),
            )
            .returning(embedding_models.c.version)
        )
        return deleted.first() is not None


async def _count_vectors(connection: AsyncConnection, version: str) -> tuple[int, int]:
    counts = await connection.execute(
        select(
            select(func.count())
            .where(profile_embeddings.c.model_version == version)
            .scalar_subquery(),
            select(func.count())
            .where(title_embeddings.c.model_version == version)
            .scalar_subquery(),
        )
    )
    profile_count, title_count = counts.one()
    return int(profile_count), int(title_count)


async def prune_models(
    engine: AsyncEngine, *, keep_previous: int = 1, stale_after: timedelta = timedelta(days=1)
) -> list[str]:
    """Delete old models and their vectors; returns the versions deleted.

    Kept: the current model, the ``keep_previous`` most recently current before it (to roll
    back to, and for readers that resolved the version a moment before a switch), and
    models still being written (never activated, younger than ``stale_after``: another
    trainer may be writing one). A never-activated model older than that was abandoned.
    """
    async with engine.begin() as connection:
        current = select(current_embedding_model.c.version).scalar_subquery()
        previous = (
            select(embedding_models.c.version)
            .where(
                embedding_models.c.activated_at.is_not(None),
                embedding_models.c.version != func.coalesce(current, ""),
            )
            .order_by(embedding_models.c.activated_at.desc())
            .limit(keep_previous)
        )
        doomed = await connection.scalars(
            delete(embedding_models)
            .where(
                embedding_models.c.version != func.coalesce(current, ""),
                embedding_models.c.version.not_in(previous),
                or_(
                    embedding_models.c.activated_at.is_not(None),
                    embedding_models.c.trained_at < func.now() - stale_after,
                ),
            )
            .returning(embedding_models.c.version)
        )
        return sorted(doomed)


# --- serving: reads of the current model -------------------------------------------------------


async def current_model(engine: AsyncEngine) -> ModelInfo | None:
    query = select(*embedding_models.c).join(
        current_embedding_model,
        current_embedding_model.c.version == embedding_models.c.version,
    )
    async with engine.connect() as connection:
        row = (await connection.execute(query)).first()
    return None if row is None else ModelInfo(**row._mapping)


async def profile_vector(
    engine: AsyncEngine, profile_id: UUID, version: str | None = None
) -> Vector | None:
    """The profile's vector in ``version`` (default: the current model), None without one."""
    query = _versioned(
        select(profile_embeddings.c.vector), profile_embeddings.c.model_version, version
    ).where(profile_embeddings.c.profile_id == profile_id)
    async with engine.connect() as connection:
        vector = await connection.scalar(query)
    return None if vector is None else _array(vector)


async def title_vectors(
    engine: AsyncEngine, video_ids: Collection[int] | None = None, version: str | None = None
) -> dict[int, Vector]:
    """Vectors of ``video_ids`` (default: every title) in ``version`` (default: current);
    titles without a vector are absent."""
    query = _versioned(
        select(title_embeddings.c.video_id, title_embeddings.c.vector),
        title_embeddings.c.model_version,
        version,
    )
    if video_ids is not None:
        query = query.where(title_embeddings.c.video_id.in_(list(video_ids)))
    async with engine.connect() as connection:
        rows = await connection.execute(query)
        return {row.video_id: _array(row.vector) for row in rows}


@dataclass(frozen=True, slots=True)
class RankingVectors:
    """A profile's vector and its candidates', all from one model (``version`` None when
    neither the profile nor any candidate has one)."""

    version: str | None
    profile: Vector | None
    titles: dict[int, Vector]


async def ranking_vectors(
    engine: AsyncEngine, profile_id: UUID, video_ids: Collection[int]
) -> RankingVectors:
    """Everything ranking needs from the current model, in one statement."""
    current = current_embedding_model.c.version
    profile_part = (
        select(
            current.label("version"),
            null().cast(BigInteger).label("video_id"),
            profile_embeddings.c.vector,
        )
        .select_from(current_embedding_model)
        .join(profile_embeddings, profile_embeddings.c.model_version == current)
        .where(profile_embeddings.c.profile_id == profile_id)
    )
    title_part = (
        select(current, title_embeddings.c.video_id, title_embeddings.c.vector)
        .select_from(current_embedding_model)
        .join(title_embeddings, title_embeddings.c.model_version == current)
        .where(title_embeddings.c.video_id.in_(list(video_ids)))
    )
    version: str | None = None
    profile: Vector | None = None
    titles: dict[int, Vector] = {}
    async with engine.connect() as connection:
        for row in await connection.execute(union_all(profile_part, title_part)):
            version = row.version
            if row.video_id is None:
                profile = _array(row.vector)
            else:
                titles[row.video_id] = _array(row.vector)
    return RankingVectors(version, profile, titles)


def _versioned(query: Select[Any], column: Any, version: str | None) -> Select[Any]:
    if version is not None:
        return query.where(column == version)
    return query.join(current_embedding_model, current_embedding_model.c.version == column)


def _array(values: Sequence[float]) -> Vector:
    return np.asarray(values, dtype=np.float32)
