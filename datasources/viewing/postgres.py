"""The ViewingStore on PostgreSQL: conditional upserts decide last-write-wins, and concurrent
heartbeats are group-committed with their outbox rows (``heartbeats.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    case,
    delete,
    false,
    func,
    literal_column,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnClause

from core.viewing_records import (
    Applied,
    Progress,
    ProgressUpdate,
    TitleState,
    TitleStateKind,
    WatchFeedback,
)
from datasources.events import Outgoing, outbox
from datasources.group_commit import GroupCommit
from datasources.tables import viewing_progress, viewing_titles
from datasources.viewing import heartbeats
from datasources.viewing.heartbeats import Heartbeat


def _title(row: Any) -> TitleState:
    return TitleState(
        video_id=row.video_id,
        episode_id=row.episode_id,
        position_seconds=row.position_seconds,
        duration_seconds=row.duration_seconds,
        state=TitleStateKind(row.state),
        client_timestamp=row.client_timestamp,
        device_id=row.device_id,
        hidden_at=row.hidden_at,
    )


class PostgresViewingStore:
    # The event goes to the outbox in the transaction of the write that causes it.
    queues_events = True

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        # Concurrent heartbeats share a statement and a COMMIT (group commit).
        self._heartbeats = GroupCommit(self._write)

    async def apply(
        self, update: ProgressUpdate, title: TitleState, event: Outgoing | None = None
    ) -> Applied:
        return await self._heartbeats.submit(Heartbeat(update, title, event))

    async def _write(self, batch: Sequence[Heartbeat]) -> list[Applied]:
        in_rounds = heartbeats.rounds(batch)
        if len(in_rounds) == 1:
            # One statement commits alone: no BEGIN and COMMIT round trips around it.
            async with self._autocommit.connect() as connection:
                return await heartbeats.write(connection, batch, in_rounds)
        async with self._engine.begin() as connection:
            return await heartbeats.write(connection, batch, in_rounds)

    async def progress(
        self, profile_id: UUID, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], Progress]:
        if not keys:
            return {}
        query = select(viewing_progress).where(
            viewing_progress.c.profile_id == profile_id,
            tuple_(viewing_progress.c.video_id, viewing_progress.c.episode_id).in_(keys),
        )
        async with self._engine.connect() as connection:
            rows = await connection.execute(query)
            return {
                (row.video_id, row.episode_id): Progress(
                    video_id=row.video_id,
                    episode_id=row.episode_id,
                    position_seconds=row.position_seconds,
                    duration_seconds=row.duration_seconds,
                    client_timestamp=row.client_timestamp,
                    device_id=row.device_id,
                )
                for row in rows
            }

    async def titles(self, profile_id: UUID, video_ids: Sequence[int]) -> dict[int, TitleState]:
        query = select(viewing_titles).where(
            viewing_titles.c.profile_id == profile_id, viewing_titles.c.video_id.in_(video_ids)
        )
        async with self._engine.connect() as connection:
            return {row.video_id: _title(row) for row in await connection.execute(query)}

    async def recent_titles(self, profile_id: UUID, limit: int) -> list[TitleState]:
        query = (
            select(viewing_titles)
            .where(viewing_titles.c.profile_id == profile_id)
            .order_by(viewing_titles.c.client_timestamp.desc(), viewing_titles.c.video_id)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            return [_title(row) for row in await connection.execute(query)]

    async def hide(
        self, profile_id: UUID, video_id: int, at: datetime, event: Outgoing | None = None
    ) -> bool:
        statement = (
            update(viewing_titles)
            .where(viewing_titles.c.profile_id == profile_id, viewing_titles.c.video_id == video_id)
            .values(hidden_at=func.greatest(func.coalesce(viewing_titles.c.hidden_at, at), at))
        )
        async with self._engine.begin() as connection:
            hidden = (await connection.execute(statement)).rowcount > 0
            if hidden and event is not None:
                await outbox.queue(connection, event)
            return hidden

    async def watch_seconds(self, profile_id: UUID) -> float:
        query = select(func.coalesce(func.sum(viewing_progress.c.position_seconds), 0.0)).where(
            viewing_progress.c.profile_id == profile_id
        )
        async with self._engine.connect() as connection:
            return float(await connection.scalar(query) or 0.0)

    async def watch_feedback(
        self, batch_size: int = 1000
    ) -> AsyncIterator[Sequence[WatchFeedback]]:
        # Both tables in one statement, so one snapshot; streamed through a server-side
        # cursor, so the process holds one batch at a time. Literal SQL rather than bound
        # parameters: a bare parameter in a UNION branch has no type PostgreSQL can infer.
        one: ColumnClause[Any] = literal_column("1.0")
        nothing: ColumnClause[Any] = literal_column("0.0")
        fraction = case(
            (
                viewing_progress.c.duration_seconds > 0,
                func.least(
                    one, viewing_progress.c.position_seconds / viewing_progress.c.duration_seconds
                ),
            ),
            else_=nothing,
        )
        signals = union_all(
            select(
                viewing_titles.c.profile_id,
                viewing_titles.c.video_id,
                nothing.label("watched"),
                (viewing_titles.c.state == TitleStateKind.COMPLETED.value).label("completed"),
                viewing_titles.c.client_timestamp.label("at"),
            ),
            select(
                viewing_progress.c.profile_id,
                viewing_progress.c.video_id,
                fraction,
                false(),
                viewing_progress.c.client_timestamp,
            ),
        ).subquery("signals")
        query = select(
            signals.c.profile_id,
            signals.c.video_id,
            func.sum(signals.c.watched).label("watched"),
            func.bool_or(signals.c.completed).label("completed"),
            func.max(signals.c.at).label("at"),
        ).group_by(signals.c.profile_id, signals.c.video_id)
        async with self._engine.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=batch_size))
            async for rows in result.partitions():
                yield [
                    WatchFeedback(
                        profile_id=row.profile_id,
                        video_id=row.video_id,
                        watched=float(row.watched),
                        completed=bool(row.completed),
                        at=row.at,
                    )
                    for row in rows
                ]

    async def erase(self, profile_ids: Sequence[UUID]) -> int:
        # Deleting the profile would cascade here too; an erasure says so explicitly.
        deleted = 0
        async with self._engine.begin() as connection:
            for table in (viewing_progress, viewing_titles):
                gone = delete(table).where(table.c.profile_id.in_(profile_ids))
                deleted += (await connection.execute(gone)).rowcount
        return deleted

    async def rows_of(self, profile_id: UUID) -> int:
        counts = [
            select(func.count()).where(table.c.profile_id == profile_id).scalar_subquery()
            for table in (viewing_progress, viewing_titles)
        ]
        async with self._engine.connect() as connection:
            return int(await connection.scalar(select(counts[0] + counts[1])) or 0)

    async def close(self) -> None:
        """The engine is shared with the rest of the app, which disposes of it."""
