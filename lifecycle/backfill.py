"""Backfill: archived events loaded back into PostgreSQL (``archived_events``) for analysis.

Idempotent: each event is keyed by its stream and sequence, so a second run over the same
dates adds nothing, and a run stopped half-way (Ctrl-C) leaves whole parts loaded or not
at all (each part commits in one transaction), to be completed by the next. Every part is
verified against its manifest before a row of it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BadUserInput
from datasources.events import Stream
from datasources.objects import ObjectStore
from datasources.tables import archived_events
from lifecycle.archive_format import (
    ArchivedEvent,
    Manifest,
    archived_days,
    read_manifest,
    read_part,
)

INSERT_ROWS = 1000  # rows per INSERT statement

# Called after each part with the rows it held.
Progress = Callable[[int], None]


@dataclass
class BackfillReport:
    days: int = 0
    read: int = 0
    added: int = 0


async def manifests_between(
    store: ObjectStore, stream: Stream, first: date, last: date
) -> list[Manifest]:
    """The archived dates from ``first`` to ``last`` (inclusive), oldest first."""
    if last < first:
        raise BadUserInput(f"--to ({last}) is before --from ({first}).")
    manifests = []
    for day in await archived_days(store, stream):
        if first <= day <= last and (manifest := await read_manifest(store, stream, day)):
            manifests.append(manifest)
    return manifests


async def _load(
    engine: AsyncEngine, stream: Stream, day: date, rows: Sequence[ArchivedEvent]
) -> int:
    added = 0
    async with engine.begin() as connection:
        for start in range(0, len(rows), INSERT_ROWS):
            values = [
                {
                    "stream": stream.value,
                    "sequence": row.sequence,
                    "event_date": day,
                    "received_at": row.time,
                    "subject": row.subject,
                    "payload": row.payload,
                }
                for row in rows[start : start + INSERT_ROWS]
            ]
            statement = insert(archived_events).values(values).on_conflict_do_nothing()
            added += (await connection.execute(statement)).rowcount
    return added


async def backfill(
    engine: AsyncEngine,
    store: ObjectStore,
    manifests: Sequence[Manifest],
    *,
    progress: Progress | None = None,
) -> BackfillReport:
    """Load the parts of ``manifests`` (from :func:`manifests_between`)."""
    report = BackfillReport()
    for manifest in manifests:
        for part in manifest.parts:
            rows = await read_part(store, part)
            report.read += len(rows)
            report.added += await _load(engine, manifest.stream, manifest.day, rows)
            if progress is not None:
                progress(len(rows))
        report.days += 1
    return report
