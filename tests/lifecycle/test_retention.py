"""Each rule of core/retention.py, proven on the real stores with a clock the test sets.

The rows are written straight into PostgreSQL with the times the rule looks at; the job runs
at ``NOW``; a row just past its rule goes, one just short of it stays.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.retention import ARCHIVE_GRACE, RETENTION, Data
from core.viewing_records import ProgressUpdate, TitleState, TitleStateKind
from datasources.events import RETENTION as LOG_RETENTION
from datasources.events import Stream
from datasources.events.contract import STREAM_DATA
from datasources.tables import (
    experiment_profiles,
    experiments,
    videos,
    viewing_progress,
    viewing_titles,
)
from lifecycle.retention import enforce_retention
from tests.helpers.api import Api
from tests.helpers.catalog import seed_catalog
from tests.helpers.profiles import insert_profile
from tests.helpers.viewing_stores import cassandra_session

NOW = datetime(2031, 6, 15, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    await seed_catalog(clean_database)
    engine = create_async_engine(clean_database)
    yield engine
    await engine.dispose()


async def _videos(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.scalars(select(videos.c.id).order_by(videos.c.id))).all())


async def _progress(
    engine: AsyncEngine, profile: uuid.UUID, video: int, *, fraction: float, at: datetime
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(viewing_progress).values(
                profile_id=profile,
                video_id=video,
                episode_id=0,
                position_seconds=fraction * 100,
                duration_seconds=100,
                client_timestamp=at,
                device_id="tv",
                updated_at=at,
            )
        )


async def _title(
    engine: AsyncEngine, profile: uuid.UUID, video: int, *, state: str, at: datetime
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(viewing_titles).values(
                profile_id=profile,
                video_id=video,
                episode_id=0,
                position_seconds=99 if state == "COMPLETED" else 40,
                duration_seconds=100,
                state=state,
                client_timestamp=at,
                device_id="tv",
            )
        )


async def _kept(engine: AsyncEngine, table: Any) -> set[int]:
    async with engine.connect() as connection:
        return set((await connection.scalars(select(table.c.video_id))).all())


async def test_completed_progress_goes_90_days_after_completion(engine: AsyncEngine) -> None:
    profile = await insert_profile(engine)
    old_done, recent_done, old_unfinished = (await _videos(engine))[:3]
    await _progress(engine, profile, old_done, fraction=0.99, at=NOW - 90 * DAY - DAY)
    await _progress(engine, profile, recent_done, fraction=0.99, at=NOW - 90 * DAY + DAY)
    await _progress(engine, profile, old_unfinished, fraction=0.4, at=NOW - 90 * DAY - DAY)
    counts = await enforce_retention(engine, now=NOW)
    assert counts["completed-progress"] == 1
    assert await _kept(engine, viewing_progress) == {recent_done, old_unfinished}


async def test_watch_history_goes_after_2_years(engine: AsyncEngine) -> None:
    profile = await insert_profile(engine)
    old, recent, old_completed = (await _videos(engine))[:3]
    two_years = RETENTION[Data.WATCH_HISTORY].hot
    await _progress(engine, profile, old, fraction=0.4, at=NOW - two_years - DAY)
    await _progress(engine, profile, recent, fraction=0.4, at=NOW - two_years + DAY)
    await _title(engine, profile, old, state="IN_PROGRESS", at=NOW - two_years - DAY)
    await _title(engine, profile, recent, state="IN_PROGRESS", at=NOW - two_years + DAY)
    # A completed view is history too, but its own rule keeps it longer.
    await _title(engine, profile, old_completed, state="COMPLETED", at=NOW - two_years - DAY)
    counts = await enforce_retention(engine, now=NOW)
    assert (counts["watch-history-progress"], counts["watch-history"]) == (1, 1)
    assert await _kept(engine, viewing_progress) == {recent}
    assert await _kept(engine, viewing_titles) == {recent, old_completed}


async def test_completed_views_go_after_5_years(engine: AsyncEngine) -> None:
    profile = await insert_profile(engine)
    old, recent = (await _videos(engine))[:2]
    five_years = RETENTION[Data.COMPLETED_VIEWS].hot
    await _title(engine, profile, old, state="COMPLETED", at=NOW - five_years - DAY)
    await _title(engine, profile, recent, state="COMPLETED", at=NOW - five_years + DAY)
    counts = await enforce_retention(engine, now=NOW)
    assert counts["completed-views"] == 1
    assert await _kept(engine, viewing_titles) == {recent}


async def _experiment(
    engine: AsyncEngine, key: str, status: str, *, phase: int = 1, stopped: datetime | None
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(experiments).values(
                key=key,
                status=status,
                phase=phase,
                definition={"key": key},
                stopped_at=stopped,
                updated_at=stopped or NOW,
            )
        )


async def _allocate(engine: AsyncEngine, key: str, phase: int, count: int) -> None:
    rows = [
        {
            "experiment_key": key,
            "phase": phase,
            "profile_id": uuid.uuid4(),
            "variant": "control",
            "exposed_at": NOW - 400 * DAY,
        }
        for _ in range(count)
    ]
    async with engine.begin() as connection:
        await connection.execute(insert(experiment_profiles), rows)


async def _allocations(engine: AsyncEngine) -> dict[tuple[str, int], int]:
    query = select(
        experiment_profiles.c.experiment_key, experiment_profiles.c.phase, func.count()
    ).group_by(experiment_profiles.c.experiment_key, experiment_profiles.c.phase)
    async with engine.connect() as connection:
        return {(key, phase): n for key, phase, n in (await connection.execute(query)).all()}


async def test_experiment_allocations_go_30_days_after_the_experiment_ends(
    engine: AsyncEngine,
) -> None:
    grace = RETENTION[Data.EXPERIMENT_ALLOCATIONS].hot
    await _experiment(engine, "ended", "STOPPED", stopped=NOW - grace - DAY)
    await _experiment(engine, "just-ended", "STOPPED", stopped=NOW - grace + DAY)
    await _experiment(engine, "running", "RUNNING", stopped=None)
    # Phase 1 of "rephased" ended long ago, when phase 2 (running now) replaced it.
    await _experiment(engine, "rephased", "RUNNING", phase=2, stopped=None)
    async with engine.begin() as connection:
        await connection.execute(
            experiments.update()
            .where(experiments.c.key == "rephased")
            .values(updated_at=NOW - grace - DAY)
        )
    for key, phase in (("ended", 1), ("just-ended", 1), ("running", 1), ("rephased", 1)):
        await _allocate(engine, key, phase, 3)
    await _allocate(engine, "rephased", 2, 2)
    # Five rows a batch of two: three transactions, nothing left over.
    counts = await enforce_retention(engine, now=NOW, batch=2)
    assert counts["experiment-allocations"] == 6
    assert await _allocations(engine) == {
        ("just-ended", 1): 3,
        ("running", 1): 3,
        ("rephased", 2): 2,
    }


async def test_a_second_run_finds_nothing_to_do(engine: AsyncEngine) -> None:
    profile = await insert_profile(engine)
    video = (await _videos(engine))[0]
    await _progress(engine, profile, video, fraction=0.99, at=NOW - 365 * DAY)
    assert sum((await enforce_retention(engine, now=NOW)).values()) == 1
    assert sum((await enforce_retention(engine, now=NOW)).values()) == 0


def test_sessions_expire_30_days_after_their_last_use(api: Api, clean_redis: str) -> None:
    token = api.register("sessions@example.com")
    client = redis.Redis.from_url(clean_redis)
    try:
        thirty_days = int(RETENTION[Data.SESSIONS].hot.total_seconds())
        client.expire(f"session:{token}", 60)  # as if nearly 30 days had passed
        api.data("{ me { id } }")  # a use renews it
        assert thirty_days - 60 <= client.ttl(f"session:{token}") <= thirty_days
    finally:
        client.close()


def test_the_event_log_keeps_each_stream_as_the_table_says() -> None:
    # Archived streams stay on the broker past their hot window by the archive's grace
    # only; the others are dropped by the broker at the end of theirs.
    assert LOG_RETENTION[Stream.PLAYBACK] == RETENTION[Data.PLAYBACK_EVENTS].hot + ARCHIVE_GRACE
    assert LOG_RETENTION[Stream.AUDIT] == RETENTION[Data.AUDIT_LOG].hot + ARCHIVE_GRACE
    assert LOG_RETENTION[Stream.VIEWING] == RETENTION[Data.VIEWING_EVENTS].hot
    assert set(STREAM_DATA) == set(Stream)


CASSANDRA_HOSTS = [h for h in os.environ.get("FLIX_TEST_CASSANDRA_HOSTS", "").split(",") if h]


@pytest.mark.skipif(not CASSANDRA_HOSTS, reason="needs FLIX_TEST_CASSANDRA_HOSTS (none given)")
async def test_cassandra_rows_carry_their_rule_as_ttl() -> None:
    from datasources.viewing.cassandra import CassandraViewingStore

    keyspace = f"flix_retention_{os.getpid()}"
    store = await CassandraViewingStore.connect(CASSANDRA_HOSTS, keyspace)
    profile = uuid.uuid4()
    try:
        at = datetime.now(UTC)
        for video, position, kind in ((1, 99.0, "COMPLETED"), (2, 40.0, "IN_PROGRESS")):
            update = ProgressUpdate(profile, video, 0, position, 100.0, at, "tv")
            title = TitleState(video, 0, position, 100.0, TitleStateKind(kind), at, "tv")
            assert await store.apply(update, title)
        ttls = await asyncio.to_thread(_ttls, keyspace, profile)
    finally:
        await store.close()
        await asyncio.to_thread(_drop_keyspace, keyspace)

    def days(data: Data) -> int:
        return RETENTION[data].hot.days

    # Written a moment ago: each TTL is its rule's, less the seconds since.
    assert {video: round(ttl / 86400) for video, ttl in ttls["progress"].items()} == {
        1: days(Data.COMPLETED_PROGRESS),
        2: days(Data.WATCH_HISTORY),
    }
    assert {video: round(ttl / 86400) for video, ttl in ttls["titles"].items()} == {
        1: days(Data.COMPLETED_VIEWS),
        2: days(Data.WATCH_HISTORY),
    }


def _ttls(keyspace: str, profile: uuid.UUID) -> dict[str, dict[int, int]]:
    with cassandra_session(keyspace) as session:
        progress = session.execute(
            "SELECT video_id, TTL(position_seconds) AS ttl FROM viewing_progress"
            " WHERE profile_id = %s",
            (profile,),
        )
        titles = session.execute(
            "SELECT video_id, TTL(state) AS ttl FROM viewing_titles WHERE profile_id = %s",
            (profile,),
        )
        return {
            "progress": {row.video_id: row.ttl for row in progress},
            "titles": {row.video_id: row.ttl for row in titles},
        }


def _drop_keyspace(keyspace: str) -> None:
    with cassandra_session() as session:
        session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
