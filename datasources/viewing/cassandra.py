"""The ViewingStore on Cassandra, for scale: partitioned by profile, last write wins natively.

Every write is stamped ``USING TIMESTAMP`` with the client's time in microseconds, so
Cassandra itself keeps the newest heartbeat whatever order they arrive in. Hiding is a
separate cell stamped with the time it was hidden.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cassandra.cluster import Cluster, Session

from datasources.viewing.records import Progress, ProgressUpdate, TitleState, TitleStateKind

CQL_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "cql"


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def _run(session: Session, statement: Any, parameters: Sequence[Any] = ()) -> list[Any]:
    """Await a driver future on the running loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Any]] = loop.create_future()
    future = session.execute_async(statement, parameters)
    future.add_callbacks(
        lambda rows: loop.call_soon_threadsafe(done.set_result, list(rows or [])),
        lambda error: loop.call_soon_threadsafe(done.set_exception, error),
    )
    return await done


def migrate(session: Session, keyspace: str) -> None:
    session.execute(
        f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}"
    )
    session.set_keyspace(keyspace)
    for script in sorted(CQL_MIGRATIONS.glob("*.cql")):
        lines = [line for line in script.read_text().splitlines() if not line.startswith("--")]
        for statement in "\n".join(lines).split(";"):
            if statement.strip():
                session.execute(statement)


def _title(row: Any) -> TitleState:
    return TitleState(
        video_id=row.video_id,
        episode_id=row.episode_id,
        position_seconds=row.position_seconds,
        duration_seconds=row.duration_seconds,
        state=TitleStateKind(row.state),
        client_timestamp=_aware(row.client_timestamp) or datetime.min.replace(tzinfo=UTC),
        device_id=row.device_id,
        hidden_at=_aware(row.hidden_at),
    )


class CassandraViewingStore:
    def __init__(self, hosts: Sequence[str], keyspace: str) -> None:
        self._cluster = Cluster(list(hosts))
        self._session = self._cluster.connect()
        migrate(self._session, keyspace)
        prepare = self._session.prepare
        self._write_progress = prepare(
            "INSERT INTO viewing_progress (profile_id, video_id, episode_id, position_seconds,"
            " duration_seconds, client_timestamp, device_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " USING TIMESTAMP ?"
        )
        self._write_title = prepare(
            "INSERT INTO viewing_titles (profile_id, video_id, episode_id, position_seconds,"
            " duration_seconds, state, client_timestamp, device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " USING TIMESTAMP ?"
        )
        self._read_progress = prepare(
            "SELECT * FROM viewing_progress WHERE profile_id = ? AND video_id IN ?"
        )
        self._read_titles = prepare("SELECT * FROM viewing_titles WHERE profile_id = ?")
        self._hide = prepare(
            "UPDATE viewing_titles USING TIMESTAMP ? SET hidden_at = ?"
            " WHERE profile_id = ? AND video_id = ?"
        )

    async def apply(self, update: ProgressUpdate, title: TitleState) -> bool:
        before = await self.progress(update.profile_id, [(update.video_id, update.episode_id)])
        stamp = _micros(update.client_timestamp)
        await _run(
            self._session,
            self._write_progress,
            (update.profile_id, update.video_id, update.episode_id, update.position_seconds,
             update.duration_seconds, update.client_timestamp, update.device_id, stamp),
        )  # fmt: skip
        await _run(
            self._session,
            self._write_title,
            (update.profile_id, title.video_id, title.episode_id, title.position_seconds,
             title.duration_seconds, title.state.value, title.client_timestamp, title.device_id,
             stamp),
        )  # fmt: skip
        previous = before.get((update.video_id, update.episode_id))
        return previous is None or previous.client_timestamp < update.client_timestamp

    async def progress(
        self, profile_id: UUID, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], Progress]:
        wanted = set(keys)
        if not wanted:
            return {}
        video_ids = sorted({video_id for video_id, _ in wanted})
        rows = await _run(self._session, self._read_progress, (profile_id, video_ids))
        found = {}
        for row in rows:
            if (row.video_id, row.episode_id) in wanted:
                found[(row.video_id, row.episode_id)] = Progress(
                    video_id=row.video_id,
                    episode_id=row.episode_id,
                    position_seconds=row.position_seconds,
                    duration_seconds=row.duration_seconds,
                    client_timestamp=_aware(row.client_timestamp) or datetime.min,
                    device_id=row.device_id,
                )
        return found

    async def _all_titles(self, profile_id: UUID) -> list[TitleState]:
        return [_title(row) for row in await _run(self._session, self._read_titles, (profile_id,))]

    async def titles(self, profile_id: UUID, video_ids: Sequence[int]) -> dict[int, TitleState]:
        wanted = set(video_ids)
        return {t.video_id: t for t in await self._all_titles(profile_id) if t.video_id in wanted}

    async def recent_titles(self, profile_id: UUID, limit: int) -> list[TitleState]:
        # One partition per profile: sorting it here is cheap, and keeps writes single-row.
        ordered = sorted(
            await self._all_titles(profile_id),
            key=lambda title: (-title.client_timestamp.timestamp(), title.video_id),
        )
        return ordered[:limit]

    async def hide(self, profile_id: UUID, video_id: int, at: datetime) -> bool:
        if video_id not in await self.titles(profile_id, [video_id]):
            return False
        await _run(self._session, self._hide, (_micros(at), at, profile_id, video_id))
        return True

    async def close(self) -> None:
        self._cluster.shutdown()
