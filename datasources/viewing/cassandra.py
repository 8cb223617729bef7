"""The ViewingStore on Cassandra, for scale: partitioned by profile, last write wins natively.

Last write wins by the contract's order key (client time, then device, then position), like
PostgreSQL's conditional upsert, in two steps: the stored row's key is read and the update
is written only when it sorts after it. Every write is stamped ``USING TIMESTAMP`` with the
client's time in microseconds (or one past the stored row's, for a same-instant update that
wins on device or position), so Cassandra itself keeps the newest heartbeat even when two
writers race between read and write; only writers racing with the very same instant can
then interleave cells. Hiding is a separate cell stamped with the time it was hidden.

Nothing here blocks the event loop: :meth:`CassandraViewingStore.connect` runs the driver's
blocking connect, migration and prepares in a worker thread, and so does ``close``; queries
go through ``execute_async`` (answered on the driver's reactor thread) bridged to asyncio.
Cassandra keeps timestamps to the millisecond, PostgreSQL to the
microsecond: times read back may differ below a millisecond between the two adapters.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.policies import (
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    TokenAwarePolicy,
)
from cassandra.query import PreparedStatement

from core.retention import RETENTION, Data
from core.viewing_records import (
    COMPLETED_ABOVE,
    Applied,
    Progress,
    ProgressUpdate,
    TitleState,
    TitleStateKind,
    WatchFeedback,
)
from datasources.events import Outgoing
from datasources.viewing.cql_migrations import migrate

DEFAULT_PORT = 9042
PROTOCOL_VERSION = 5  # Cassandra 4.0 and later; compose and the tests run 5.0
EPOCH = datetime.min.replace(tzinfo=UTC)


def parse_hosts(hosts: Sequence[str]) -> tuple[list[str], int]:
    """Contact points and their port from ``host`` or ``host:port`` entries.

    The driver takes one port for the whole cluster (the nodes it discovers included), so
    every entry that names a port must name the same one.
    """
    addresses: list[str] = []
    ports: set[int] = set()
    for entry in (h.strip() for h in hosts):
        if not entry:
            continue
        host, port = entry, None
        if entry.startswith("["):  # [ipv6]:port
            host, _, rest = entry[1:].partition("]")
            port = rest.removeprefix(":") or None
        elif entry.count(":") == 1:
            host, port = entry.split(":")
        addresses.append(host)
        if port is not None:
            ports.add(int(port))
    if not addresses:
        raise ValueError("no Cassandra hosts given (FLIX_CASSANDRA_HOSTS)")
    if len(ports) > 1:
        raise ValueError(f"Cassandra hosts name different ports {sorted(ports)}; use one")
    return addresses, ports.pop() if ports else DEFAULT_PORT


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _aware(moment: datetime | None) -> datetime | None:
    # The driver returns naive datetimes in UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def _settle(future: Any) -> list[Any]:
    """The current page of a driver future, awaited on the running loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Any]] = loop.create_future()

    def deliver(outcome: Any, failed: bool) -> None:
        if done.done():  # the awaiting task was cancelled meanwhile
            return
        if failed:
            done.set_exception(outcome)
        else:
            done.set_result(list(outcome or []))

    future.add_callbacks(
        lambda rows: loop.call_soon_threadsafe(deliver, rows, False),
        lambda error: loop.call_soon_threadsafe(deliver, error, True),
    )
    return await done


async def _pages(
    session: Session, statement: Any, parameters: Sequence[Any] = ()
) -> AsyncIterator[list[Any]]:
    """Every page of a query's rows, the next one fetched only when asked for."""
    future = session.execute_async(statement, parameters)
    while True:
        yield await _settle(future)
        if not future.has_more_pages:
            return
        # The callbacks of a page fire once; the next page needs fresh ones.
        future.clear_callbacks()
        future.start_fetching_next_page()


async def _run(session: Session, statement: Any, parameters: Sequence[Any] = ()) -> list[Any]:
    """All rows of a query (every page)."""
    return [row async for page in _pages(session, statement, parameters) for row in page]


def _title(row: Any) -> TitleState:
    return TitleState(
        video_id=row.video_id,
        episode_id=row.episode_id,
        position_seconds=row.position_seconds,
        duration_seconds=row.duration_seconds,
        state=TitleStateKind(row.state),
        client_timestamp=_aware(row.client_timestamp) or EPOCH,
        device_id=row.device_id,
        hidden_at=_aware(row.hidden_at),
    )


OrderKey = tuple[int, str, float]  # client time (µs), device, position


def _stored(row: Any) -> tuple[OrderKey, int] | None:
    """A stored row's order key and write time; None if there is no row."""
    if row is None:
        return None
    micros = row.client_micros
    if micros is None:  # written before the column existed: milliseconds will do
        micros = _micros(_aware(row.client_timestamp) or EPOCH)
    return (micros, row.device_id, row.position_seconds), row.stamp


@dataclass(frozen=True)
class _Statements:
    write_progress: PreparedStatement
    write_title: PreparedStatement
    read_progress: PreparedStatement
    progress_key: PreparedStatement
    title_key: PreparedStatement
    read_titles: PreparedStatement
    hide: PreparedStatement
    positions: PreparedStatement
    scan_progress: PreparedStatement
    scan_titles: PreparedStatement


# The write of one heartbeat (also what bench/progress.py measures as its floor).
WRITE_PROGRESS = (
    "INSERT INTO viewing_progress (profile_id, video_id, episode_id, position_seconds,"
    " duration_seconds, client_timestamp, client_micros, device_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?"
)
# Rows per page of the full-table scans training makes.
SCAN_PAGE_ROWS = 5000
# How far ahead of now an erasure's delete is stamped (see ``erase``).
ERASE_AHEAD = timedelta(days=1)


def _prepare(session: Session) -> _Statements:
    prepare = session.prepare
    scan_progress = prepare(
        "SELECT profile_id, video_id, position_seconds, duration_seconds, client_timestamp"
        " FROM viewing_progress"
    )
    scan_titles = prepare(
        "SELECT profile_id, video_id, state, client_timestamp FROM viewing_titles"
    )
    for scan in (scan_progress, scan_titles):
        scan.fetch_size = SCAN_PAGE_ROWS
    return _Statements(
        write_progress=prepare(WRITE_PROGRESS),
        write_title=prepare(
            "INSERT INTO viewing_titles (profile_id, video_id, episode_id, position_seconds,"
            " duration_seconds, state, client_timestamp, client_micros, device_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?"
        ),
        read_progress=prepare(
            "SELECT * FROM viewing_progress WHERE profile_id = ? AND video_id IN ?"
        ),
        # What a write compares with: the stored order key, and the write time it must beat.
        progress_key=prepare(
            "SELECT client_micros, client_timestamp, device_id, position_seconds,"
            " writetime(position_seconds) AS stamp FROM viewing_progress"
            " WHERE profile_id = ? AND video_id = ? AND episode_id = ?"
        ),
        title_key=prepare(
            "SELECT client_micros, client_timestamp, device_id, position_seconds,"
            " writetime(state) AS stamp FROM viewing_titles WHERE profile_id = ? AND video_id = ?"
        ),
        read_titles=prepare("SELECT * FROM viewing_titles WHERE profile_id = ?"),
        hide=prepare(
            "UPDATE viewing_titles USING TTL ? AND TIMESTAMP ? SET hidden_at = ?"
            " WHERE profile_id = ? AND video_id = ?"
        ),
        positions=prepare("SELECT position_seconds FROM viewing_progress WHERE profile_id = ?"),
        scan_progress=scan_progress,
        scan_titles=scan_titles,
    )


def _ttl(data: Data) -> int:
    return int(RETENTION[data].hot.total_seconds())


def progress_ttl(update: ProgressUpdate) -> int:
    """Seconds a progress row lives (core/retention.py): a completed episode only as long as
    Continue Watching needs it, any other as long as watch history is kept. Every heartbeat
    writes the row again, so the clock starts at the last one."""
    completed = update.position_seconds >= COMPLETED_ABOVE * update.duration_seconds
    return _ttl(Data.COMPLETED_PROGRESS if completed else Data.WATCH_HISTORY)


def title_ttl(title: TitleState) -> int:
    """Seconds a title's standing lives: completed views longer than the rest of history."""
    completed = title.state is TitleStateKind.COMPLETED
    return _ttl(Data.COMPLETED_VIEWS if completed else Data.WATCH_HISTORY)


def _open(hosts: Sequence[str], keyspace: str) -> tuple[Cluster, Session, _Statements]:
    """Connect, migrate and prepare: blocking, so run in a worker thread."""
    addresses, port = parse_hosts(hosts)
    profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()))
    cluster = Cluster(
        addresses,
        port=port,
        protocol_version=PROTOCOL_VERSION,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        # The driver's default backs off to 10 minutes: a node back after a restart would sit
        # unused for long. Progress heartbeats need it again within seconds.
        reconnection_policy=ExponentialReconnectionPolicy(base_delay=0.5, max_delay=2.0),
    )
    try:
        session = cluster.connect()
        migrate(session, keyspace)
        return cluster, session, _prepare(session)
    except BaseException:
        cluster.shutdown()
        raise


class CassandraViewingStore:
    """Build with :meth:`connect`; the constructor only keeps what it is given."""

    # The outbox lives in PostgreSQL, out of a Cassandra write's reach: the recorder
    # publishes each event once its write has landed (and the outbox catches a failed one).
    queues_events = False

    def __init__(self, cluster: Cluster, session: Session, statements: _Statements) -> None:
        self._cluster = cluster
        self._session = session
        self._statements = statements

    @classmethod
    async def connect(cls, hosts: Sequence[str], keyspace: str) -> CassandraViewingStore:
        """Connect to the cluster and bring ``keyspace`` up to the CQL migrations."""
        loop = asyncio.get_running_loop()
        cluster, session, statements = await loop.run_in_executor(None, _open, hosts, keyspace)
        return cls(cluster, session, statements)

    async def apply(
        self, update: ProgressUpdate, title: TitleState, event: Outgoing | None = None
    ) -> Applied:
        statements = self._statements
        progress_key = (update.profile_id, update.video_id, update.episode_id)
        progress_rows, title_rows = await asyncio.gather(
            _run(self._session, statements.progress_key, progress_key),
            _run(self._session, statements.title_key, (update.profile_id, title.video_id)),
        )
        micros = _micros(update.client_timestamp)
        progress = (
            *progress_key,
            update.position_seconds,
            update.duration_seconds,
            update.client_timestamp,
            micros,
            update.device_id,
        )
        title_micros = _micros(title.client_timestamp)
        standing = (
            update.profile_id,
            title.video_id,
            title.episode_id,
            title.position_seconds,
            title.duration_seconds,
            title.state.value,
            title.client_timestamp,
            title_micros,
            title.device_id,
        )
        landed, moved = await asyncio.gather(
            self._write_if_newer(
                progress_rows,
                (micros, update.device_id, update.position_seconds),
                statements.write_progress,
                (*progress, progress_ttl(update)),
            ),
            self._write_if_newer(
                title_rows,
                (title_micros, title.device_id, title.position_seconds),
                statements.write_title,
                (*standing, title_ttl(title)),
            ),
        )
        return Applied(progress=landed, title=moved)

    async def _write_if_newer(
        self, stored_rows: list[Any], key: OrderKey, statement: Any, values: tuple[Any, ...]
    ) -> bool:
        stored = _stored(stored_rows[0] if stored_rows else None)
        if stored is not None and key <= stored[0]:
            return False
        # A same-instant winner (on device or position) must still out-stamp the stored row.
        stamp = key[0] if stored is None else max(key[0], stored[1] + 1)
        await _run(self._session, statement, (*values, stamp))
        return True

    async def progress(
        self, profile_id: UUID, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], Progress]:
        wanted = set(keys)
        if not wanted:
            return {}
        video_ids = sorted({video_id for video_id, _ in wanted})
        rows = await _run(self._session, self._statements.read_progress, (profile_id, video_ids))
        found = {}
        for row in rows:
            if (row.video_id, row.episode_id) in wanted:
                found[(row.video_id, row.episode_id)] = Progress(
                    video_id=row.video_id,
                    episode_id=row.episode_id,
                    position_seconds=row.position_seconds,
                    duration_seconds=row.duration_seconds,
                    client_timestamp=_aware(row.client_timestamp) or EPOCH,
                    device_id=row.device_id,
                )
        return found

    async def _all_titles(self, profile_id: UUID) -> list[TitleState]:
        rows = await _run(self._session, self._statements.read_titles, (profile_id,))
        # A row whose standing expired before its hidden_at did holds nothing to show.
        return [_title(row) for row in rows if row.state is not None]

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

    async def hide(
        self, profile_id: UUID, video_id: int, at: datetime, event: Outgoing | None = None
    ) -> bool:
        if video_id not in await self.titles(profile_id, [video_id]):
            return False
        values = (_ttl(Data.WATCH_HISTORY), _micros(at), at, profile_id, video_id)
        await _run(self._session, self._statements.hide, values)
        return True

    async def watch_seconds(self, profile_id: UUID) -> float:
        rows = await _run(self._session, self._statements.positions, (profile_id,))
        return float(sum(row.position_seconds for row in rows))

    async def watch_feedback(
        self, batch_size: int = 1000
    ) -> AsyncIterator[Sequence[WatchFeedback]]:
        # A full scan of both tables, page by page (SCAN_PAGE_ROWS), summed up per
        # (profile, title) in memory: fine for training, which holds every pair anyway.
        # Cassandra has no GROUP BY across partitions, and no snapshot across two scans: a
        # heartbeat landing mid-scan may be seen in one table and not the other.
        watched: dict[tuple[UUID, int], float] = {}
        completed: dict[tuple[UUID, int], bool] = {}
        newest: dict[tuple[UUID, int], datetime] = {}

        def saw(key: tuple[UUID, int], at: datetime | None) -> None:
            moment = _aware(at) or EPOCH
            newest[key] = max(newest.get(key, moment), moment)

        async for page in _pages(self._session, self._statements.scan_titles):
            for row in page:
                key = (row.profile_id, row.video_id)
                completed[key] = row.state == TitleStateKind.COMPLETED.value
                watched.setdefault(key, 0.0)
                saw(key, row.client_timestamp)
        async for page in _pages(self._session, self._statements.scan_progress):
            for row in page:
                key = (row.profile_id, row.video_id)
                duration = row.duration_seconds or 0.0
                share = min(1.0, row.position_seconds / duration) if duration > 0 else 0.0
                watched[key] = watched.get(key, 0.0) + share
                saw(key, row.client_timestamp)
        batch: list[WatchFeedback] = []
        for (profile_id, video_id), amount in watched.items():
            key = (profile_id, video_id)
            batch.append(
                WatchFeedback(
                    profile_id=profile_id,
                    video_id=video_id,
                    watched=amount,
                    completed=completed.get(key, False),
                    at=newest[key],
                )
            )
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    async def erase(self, profile_ids: Sequence[UUID]) -> int:
        # A partition delete stamped ERASE_AHEAD into the future: writes carry the client's
        # time as their timestamp, so a heartbeat still in flight (older than that) cannot
        # bring a row back. Cassandra does not say how many rows a delete removed.
        stamp = _micros(datetime.now(UTC) + ERASE_AHEAD)
        for profile_id in profile_ids:
            for table in ("viewing_progress", "viewing_titles"):
                statement = f"DELETE FROM {table} USING TIMESTAMP %s WHERE profile_id = %s"
                await _run(self._session, statement, (stamp, profile_id))
        return 0

    async def rows_of(self, profile_id: UUID) -> int:
        total = 0
        for table in ("viewing_progress", "viewing_titles"):
            statement = f"SELECT count(*) AS n FROM {table} WHERE profile_id = %s"
            total += sum(row.n for row in await _run(self._session, statement, (profile_id,)))
        return total

    async def close(self) -> None:
        # Shutting down joins the driver's threads: off the loop.
        await asyncio.get_running_loop().run_in_executor(None, self._cluster.shutdown)
