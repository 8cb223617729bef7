"""The nightly retention job: what PostgreSQL holds past core/retention.py's rules goes.

Stores with TTLs expire their data themselves (Redis sessions, Cassandra's viewing rows, the
event log's ``max_age``); this job does the rest, on PostgreSQL, in bounded batches of
``BATCH`` rows per transaction, so a large backlog never holds long locks and an interrupted
run (Ctrl-C, a deploy) has committed whole batches only: the next run carries on.

``now`` is injectable: tests prove each rule by moving the clock, not by waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import ColumnElement, Table, and_, delete, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from core.retention import RETENTION, Data
from core.viewing_records import COMPLETED_ABOVE, TitleStateKind
from datasources.tables import experiment_profiles, experiments, viewing_progress, viewing_titles

log = structlog.get_logger("flix.retention")

BATCH = 1000

# Called with a rule's name and how many rows it has deleted so far.
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Sweep:
    """One rule on one table: rows matching ``expired(now)`` go."""

    name: str
    table: Table
    expired: Callable[[datetime], ColumnElement[bool]]


def _before(data: Data, now: datetime) -> datetime:
    return now - RETENTION[data].hot


def _completed_progress(now: datetime) -> ColumnElement[bool]:
    done = viewing_progress.c.position_seconds >= (
        COMPLETED_ABOVE * viewing_progress.c.duration_seconds
    )
    return and_(done, viewing_progress.c.updated_at < _before(Data.COMPLETED_PROGRESS, now))


def _old_progress(now: datetime) -> ColumnElement[bool]:
    return viewing_progress.c.updated_at < _before(Data.WATCH_HISTORY, now)


def _old_history(now: datetime) -> ColumnElement[bool]:
    return and_(
        viewing_titles.c.state != TitleStateKind.COMPLETED.value,
        viewing_titles.c.client_timestamp < _before(Data.WATCH_HISTORY, now),
    )


def _old_completed_views(now: datetime) -> ColumnElement[bool]:
    return and_(
        viewing_titles.c.state == TitleStateKind.COMPLETED.value,
        viewing_titles.c.client_timestamp < _before(Data.COMPLETED_VIEWS, now),
    )


def _ended_allocations(now: datetime) -> ColumnElement[bool]:
    # A phase ends when its experiment stops, or when a new phase replaces it (new_phase
    # clears stopped_at; the row's updated_at is then no earlier than that stop).
    cutoff = _before(Data.EXPERIMENT_ALLOCATIONS, now)
    ended = select(experiments.c.key).where(
        experiments.c.key == experiment_profiles.c.experiment_key,
        or_(
            and_(
                experiments.c.status == "STOPPED",
                experiment_profiles.c.phase == experiments.c.phase,
                experiments.c.stopped_at < cutoff,
            ),
            and_(
                experiment_profiles.c.phase < experiments.c.phase,
                experiments.c.updated_at < cutoff,
            ),
        ),
    )
    return ended.exists()


SWEEPS = (
    Sweep("completed-progress", viewing_progress, _completed_progress),
    Sweep("watch-history-progress", viewing_progress, _old_progress),
    Sweep("watch-history", viewing_titles, _old_history),
    Sweep("completed-views", viewing_titles, _old_completed_views),
    Sweep("experiment-allocations", experiment_profiles, _ended_allocations),
)


async def sweep(engine: AsyncEngine, rule: Sweep, now: datetime, batch: int = BATCH) -> int:
    """Delete the rule's expired rows, ``batch`` per transaction; returns how many went."""
    key = tuple_(*rule.table.primary_key.columns)
    deleted = 0
    while True:
        chosen = select(*rule.table.primary_key.columns).where(rule.expired(now)).limit(batch)
        async with engine.begin() as connection:
            result = await connection.execute(delete(rule.table).where(key.in_(chosen)))
        deleted += result.rowcount
        if result.rowcount < batch:
            return deleted


async def enforce_retention(
    engine: AsyncEngine,
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Run every sweep; returns rows deleted per rule."""
    moment = now or datetime.now(UTC)
    counts: dict[str, int] = {}
    for rule in SWEEPS:
        counts[rule.name] = await sweep(engine, rule, moment, batch)
        if progress is not None:
            progress(rule.name, counts[rule.name])
    log.info("retention enforced", now=moment.isoformat(), **counts)
    return counts
