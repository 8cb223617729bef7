"""Experiment definitions (as JSON documents) and the per-profile numbers behind results."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import Conflict
from datasources.tables import experiment_profiles, experiments

Definition = dict[str, Any]


async def all_definitions(engine: AsyncEngine) -> list[tuple[int, Definition]]:
    query = select(experiments.c.id, experiments.c.definition).order_by(experiments.c.id)
    async with engine.connect() as connection:
        return [(row.id, row.definition) for row in await connection.execute(query)]


async def definition(
    engine: AsyncEngine, *, key: str | None = None, id: int | None = None
) -> tuple[int, Definition] | None:
    query = select(experiments.c.id, experiments.c.definition)
    query = query.where(experiments.c.key == key) if key else query.where(experiments.c.id == id)
    async with engine.connect() as connection:
        row = (await connection.execute(query)).one_or_none()
    return (row.id, row.definition) if row else None


def _columns(document: Definition) -> dict[str, Any]:
    return {
        "key": document["key"],
        "status": document["status"],
        "phase": document["phase"],
        "definition": document,
        "started_at": datetime.fromisoformat(s) if (s := document.get("started_at")) else None,
        "stopped_at": datetime.fromisoformat(s) if (s := document.get("stopped_at")) else None,
    }


async def create(engine: AsyncEngine, document: Definition) -> int:
    try:
        async with engine.begin() as connection:
            new_id = await connection.scalar(
                insert(experiments).values(_columns(document)).returning(experiments.c.id)
            )
    except IntegrityError:
        raise Conflict(f"An experiment with key {document['key']!r} already exists.") from None
    return int(new_id)


async def save(engine: AsyncEngine, experiment_id: int, document: Definition) -> None:
    statement = (
        update(experiments)
        .where(experiments.c.id == experiment_id)
        .values(**_columns(document), updated_at=func.now())
    )
    async with engine.begin() as connection:
        await connection.execute(statement)


class RunningExperiments:
    """The running definitions, re-read at most every few seconds: allocation is per request.

    One re-read at a time (single flight): when the copy goes stale under load, the callers
    that arrive during the re-read wait for it instead of each running the query.
    """

    def __init__(self, engine: AsyncEngine, refresh_seconds: float = 5.0) -> None:
        self._engine = engine
        self._refresh = refresh_seconds
        self._documents: list[Definition] | None = None
        self._loaded_at = float("-inf")
        self._reading: asyncio.Task[list[Definition]] | None = None
        self._generation = 0  # bumped by invalidate()

    async def current(self) -> list[Definition]:
        if time.monotonic() - self._loaded_at <= self._refresh and self._documents is not None:
            return self._documents
        reading = self._reading
        if (
            reading is None
            or reading.done()
            or reading.get_loop() is not asyncio.get_running_loop()
        ):
            reading = self._reading = asyncio.ensure_future(self._read())
        # Shielded: a caller that gives up does not cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def _read(self) -> list[Definition]:
        generation = self._generation
        query = select(experiments.c.definition).where(experiments.c.status == "RUNNING")
        async with self._engine.connect() as connection:
            documents = list((await connection.scalars(query)).all())
        if generation == self._generation:  # else an edit came meanwhile: not kept
            self._documents, self._loaded_at = documents, time.monotonic()
        return documents

    def invalidate(self) -> None:
        """After an edit in this process: the next caller waits for a fresh read."""
        self._generation += 1
        self._documents, self._reading = None, None


async def record_exposure(
    engine: AsyncEngine,
    *,
    key: str,
    phase: int,
    profile_id: UUID,
    variant: str,
    forced: bool,
    at: datetime,
    pre_watch_seconds: float,
) -> None:
    """The profile's first exposure in this phase; ``pre_watch_seconds`` (its watch time so
    far, from the viewing store) is the CUPED covariate (pre-experiment behaviour)."""
    statement = insert(experiment_profiles).values(
        experiment_key=key,
        phase=phase,
        profile_id=profile_id,
        variant=variant,
        forced=forced,
        exposed_at=at,
        pre_watch_seconds=pre_watch_seconds,
    )
    async with engine.begin() as connection:
        await connection.execute(statement.on_conflict_do_nothing())


async def add_to_metrics(
    engine: AsyncEngine, profile_id: UUID, at: datetime, increments: Mapping[str, float]
) -> None:
    """Add to every experiment row of the profile exposed before ``at`` (events after the
    exposure count; what happened before it does not)."""
    values = {name: experiment_profiles.c[name] + amount for name, amount in increments.items()}
    statement = (
        update(experiment_profiles)
        .where(experiment_profiles.c.profile_id == profile_id)
        .where(experiment_profiles.c.exposed_at <= at)
        .values(**values)
    )
    async with engine.begin() as connection:
        await connection.execute(statement)


async def profile_rows(engine: AsyncEngine, key: str, phase: int) -> list[Any]:
    query = select(experiment_profiles).where(
        experiment_profiles.c.experiment_key == key, experiment_profiles.c.phase == phase
    )
    async with engine.connect() as connection:
        return list((await connection.execute(query)).all())
