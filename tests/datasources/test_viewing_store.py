"""The ViewingStore contract, run against every adapter: PostgreSQL always, Cassandra where
FLIX_TEST_CASSANDRA_HOSTS points at one (skipped, visibly, otherwise).

Cassandra's schema changes are slow, so its adapter gets one keyspace for the whole session;
tests stay apart because each has a profile of its own (random ids).
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from core.viewing_records import (
    MOVIE,
    Applied,
    ProgressUpdate,
    TitleState,
    TitleStateKind,
    WatchFeedback,
)
from datasources.viewing.store import ViewingStore
from tests.helpers.profiles import insert_profile
from tests.helpers.viewing_stores import cassandra_session

T0 = datetime(2026, 3, 1, tzinfo=UTC)
CASSANDRA_HOSTS = [h for h in os.environ.get("FLIX_TEST_CASSANDRA_HOSTS", "").split(",") if h]
CASSANDRA_KEYSPACE = f"flix_contract_{os.getpid()}"


async def _profile(database_url: str) -> uuid.UUID:
    """A real profile (and video ids 1..3) for the PostgreSQL adapter's foreign keys."""
    from tests.helpers.catalog import seed_catalog

    await seed_catalog(database_url)
    engine = create_async_engine(database_url)
    try:
        return await insert_profile(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def cassandra() -> AsyncIterator[ViewingStore | None]:
    """One connection and keyspace for the session, dropped at the end; None without hosts."""
    if not CASSANDRA_HOSTS:
        yield None
        return
    from datasources.viewing.cassandra import CassandraViewingStore

    store = await CassandraViewingStore.connect(CASSANDRA_HOSTS, CASSANDRA_KEYSPACE)
    yield store
    await store.close()
    await asyncio.to_thread(_drop_keyspace, CASSANDRA_KEYSPACE)


def _drop_keyspace(keyspace: str) -> None:
    with cassandra_session() as session:
        session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")


@pytest.fixture(params=["postgres", "cassandra"])
async def store(
    request: pytest.FixtureRequest, clean_database: str, cassandra: ViewingStore | None
) -> AsyncIterator[tuple[ViewingStore, uuid.UUID]]:
    if request.param == "cassandra":
        if cassandra is None:
            pytest.skip("Cassandra contract tests need FLIX_TEST_CASSANDRA_HOSTS (none given here)")
        yield cassandra, await _profile(clean_database)
        return
    from datasources.viewing.postgres import PostgresViewingStore

    profile = await _profile(clean_database)
    engine = create_async_engine(clean_database)
    yield PostgresViewingStore(engine), profile
    await engine.dispose()


def _update(
    profile: uuid.UUID,
    video: int,
    position: float,
    at: int,
    device: str = "d",
    episode: int = MOVIE,
) -> ProgressUpdate:
    return ProgressUpdate(
        profile, video, episode, position, 100.0, T0 + timedelta(seconds=at), device
    )


def _title(update: ProgressUpdate, kind: TitleStateKind = TitleStateKind.IN_PROGRESS) -> TitleState:
    return TitleState(
        video_id=update.video_id,
        episode_id=update.episode_id,
        position_seconds=update.position_seconds,
        duration_seconds=update.duration_seconds,
        state=kind,
        client_timestamp=update.client_timestamp,
        device_id=update.device_id,
    )


async def _apply(
    store: ViewingStore, update: ProgressUpdate, kind: TitleStateKind = TitleStateKind.IN_PROGRESS
) -> Applied:
    return await store.apply(update, _title(update, kind))


async def test_apply_says_which_of_progress_and_standing_landed(
    store: tuple[ViewingStore, uuid.UUID],
) -> None:
    viewing, profile = store
    second = _update(profile, 3, 20, at=10, episode=2)
    assert await _apply(viewing, second) == Applied(progress=True, title=True)
    # An earlier episode's first heartbeat, older than the series' standing: its own row only.
    first = _update(profile, 3, 90, at=5, episode=1)
    assert await _apply(viewing, first) == Applied(progress=True, title=False)
    assert (await viewing.titles(profile, [3]))[3].episode_id == 2


async def test_newest_update_wins_in_any_arrival_order(
    store: tuple[ViewingStore, uuid.UUID],
) -> None:
    viewing, profile = store
    updates = [_update(profile, 1, position, at) for at, position in enumerate([10, 20, 30])]
    for update in reversed(updates):
        await _apply(viewing, update)
    stored = await viewing.progress(profile, [(1, MOVIE)])
    assert stored[(1, MOVIE)].position_seconds == 30
    assert (await viewing.titles(profile, [1]))[1].position_seconds == 30


async def test_duplicates_and_stale_updates_change_nothing(
    store: tuple[ViewingStore, uuid.UUID],
) -> None:
    viewing, profile = store
    newest = _update(profile, 1, 50, at=10)
    assert await _apply(viewing, newest) == Applied(progress=True, title=True)
    assert await _apply(viewing, newest) == Applied(progress=False, title=False)
    assert not await _apply(viewing, _update(profile, 1, 70, at=5))
    assert (await viewing.progress(profile, [(1, MOVIE)]))[(1, MOVIE)].position_seconds == 50


async def test_recent_titles_are_newest_first(store: tuple[ViewingStore, uuid.UUID]) -> None:
    viewing, profile = store
    for at, video in enumerate([1, 2, 3]):
        await _apply(viewing, _update(profile, video, 40, at))
    assert [t.video_id for t in await viewing.recent_titles(profile, 10)] == [3, 2, 1]
    assert [t.video_id for t in await viewing.recent_titles(profile, 2)] == [3, 2]


async def test_hiding_lasts_until_a_newer_update(store: tuple[ViewingStore, uuid.UUID]) -> None:
    viewing, profile = store
    await _apply(viewing, _update(profile, 1, 40, at=0))
    assert await viewing.hide(profile, 1, T0 + timedelta(seconds=5))
    assert (await viewing.titles(profile, [1]))[1].hidden
    await _apply(viewing, _update(profile, 1, 41, at=3))  # older than the hiding
    assert (await viewing.titles(profile, [1]))[1].hidden
    await _apply(viewing, _update(profile, 1, 42, at=9))
    assert not (await viewing.titles(profile, [1]))[1].hidden
    assert not await viewing.hide(profile, 2, T0)  # nothing to hide


async def test_profiles_are_isolated(store: tuple[ViewingStore, uuid.UUID]) -> None:
    viewing, profile = store
    await _apply(viewing, _update(profile, 1, 40, at=0))
    assert await viewing.recent_titles(uuid.uuid4(), 10) == []
    assert await viewing.progress(uuid.uuid4(), [(1, MOVIE)]) == {}


async def test_watch_seconds_sum_every_position_of_the_profile(
    store: tuple[ViewingStore, uuid.UUID],
) -> None:
    viewing, profile = store
    assert await viewing.watch_seconds(profile) == 0.0
    await _apply(viewing, _update(profile, 1, 40, at=0))
    await _apply(viewing, _update(profile, 1, 55, at=1))  # the same title moves on: not added
    await _apply(viewing, _update(profile, 2, 30, at=2))
    for episode in (1, 2):
        await _apply(viewing, _update(profile, 3, 20, at=3 + episode, episode=episode))
    assert await viewing.watch_seconds(profile) == pytest.approx(55 + 30 + 20 + 20)
    assert await viewing.watch_seconds(uuid.uuid4()) == 0.0


async def _feedback(viewing: ViewingStore, profile: uuid.UUID, size: int) -> list[WatchFeedback]:
    """The profile's rows of the full scan (other tests' profiles may share the store)."""
    rows: list[WatchFeedback] = []
    async for batch in viewing.watch_feedback(batch_size=size):
        assert 0 < len(batch) <= size
        rows += [row for row in batch if row.profile_id == profile]
    return rows


async def test_watch_feedback_is_one_row_per_profile_and_title(
    store: tuple[ViewingStore, uuid.UUID],
) -> None:
    viewing, profile = store
    await _apply(viewing, _update(profile, 1, 99, at=0), TitleStateKind.COMPLETED)
    await _apply(viewing, _update(profile, 2, 40, at=1))
    await _apply(viewing, _update(profile, 2, 30, at=0))  # stale: changes nothing
    for episode, position in ((1, 100.0), (2, 100.0), (3, 50.0)):
        await _apply(viewing, _update(profile, 3, position, at=10 + episode, episode=episode))

    rows = {row.video_id: row for row in await _feedback(viewing, profile, size=2)}
    assert set(rows) == {1, 2, 3}
    assert rows[1].completed and rows[1].watched == pytest.approx(0.99)
    assert rows[1].at == T0
    assert not rows[2].completed and rows[2].watched == pytest.approx(0.4)
    assert rows[2].at == T0 + timedelta(seconds=1)
    assert rows[3].watched == pytest.approx(2.5)  # episodes add up
    assert rows[3].at == T0 + timedelta(seconds=13)
    assert await _feedback(viewing, uuid.uuid4(), size=1000) == []


async def test_same_instant_updates_are_ordered_by_device_then_position(
    store: tuple[ViewingStore, uuid.UUID],
) -> None:
    viewing, profile = store
    assert await _apply(viewing, _update(profile, 1, 1000, at=10, device="b-device"))
    assert not await _apply(viewing, _update(profile, 1, 2000, at=10, device="a-device"))
    stored = (await viewing.progress(profile, [(1, MOVIE)]))[(1, MOVIE)]
    assert (stored.device_id, stored.position_seconds) == ("b-device", 1000)
    # Same instant, a later-sorting device: it wins, whole (no cell of the loser survives).
    assert await _apply(viewing, _update(profile, 1, 500, at=10, device="c-device"))
    stored = (await viewing.progress(profile, [(1, MOVIE)]))[(1, MOVIE)]
    assert (stored.device_id, stored.position_seconds) == ("c-device", 500)
    assert (await viewing.titles(profile, [1]))[1].position_seconds == 500
    # A later instant still wins over a tie-broken row.
    assert await _apply(viewing, _update(profile, 1, 10, at=11, device="a-device"))
    assert (await viewing.progress(profile, [(1, MOVIE)]))[(1, MOVIE)].position_seconds == 10


async def test_concurrent_updates_of_one_title_keep_the_newest(
    store: tuple[ViewingStore, uuid.UUID],
) -> None:
    # Arriving together (one group commit on PostgreSQL), in a shuffled order, with repeats.
    viewing, profile = store
    updates = [_update(profile, 1, float(n), at=n) for n in range(1, 31)] * 2
    random.Random(7).shuffle(updates)
    landed = await asyncio.gather(*(_apply(viewing, update) for update in updates))
    stored = (await viewing.progress(profile, [(1, MOVIE)]))[(1, MOVIE)]
    assert stored.position_seconds == 30
    assert (await viewing.titles(profile, [1]))[1].position_seconds == 30
    # The newest landed (Cassandra's read-then-write may count both copies of it as landed;
    # either way the stored state is the newest).
    newest = [landed[i] for i, update in enumerate(updates) if update.position_seconds == 30]
    assert any(applied.progress for applied in newest)


async def test_training_reads_the_same_feedback_from_either_adapter(
    clean_database: str, cassandra: ViewingStore | None
) -> None:
    """Training is seeded and sorts its input, so the same feedback means the same model."""
    if cassandra is None:
        pytest.skip("needs FLIX_TEST_CASSANDRA_HOSTS to compare the adapters")
    from datasources.personalization.embeddings import read_feedback
    from datasources.tables import my_list, ratings
    from datasources.viewing.postgres import PostgresViewingStore

    profile = await _profile(clean_database)
    engine = create_async_engine(clean_database)
    postgres = PostgresViewingStore(engine)
    updates = [
        (_update(profile, 1, 99, at=0), TitleStateKind.COMPLETED),
        (_update(profile, 2, 40, at=1), TitleStateKind.IN_PROGRESS),
        (_update(profile, 2, 10, at=0), TitleStateKind.IN_PROGRESS),  # stale
        *(
            (_update(profile, 3, 100.0 - 25 * e, at=5 + e, episode=e), TitleStateKind.IN_PROGRESS)
            for e in (1, 2, 3)
        ),
    ]
    try:
        for viewing in (postgres, cassandra):
            for update, kind in updates:
                await _apply(viewing, update, kind)
        async with engine.begin() as connection:
            await connection.execute(
                insert(ratings).values(profile_id=profile, video_id=1, rating=1)
            )
            await connection.execute(insert(my_list).values(profile_id=profile, video_id=4))
        from_postgres = await read_feedback(engine, postgres)
        assert len(from_postgres) == 4
        # Other tests' Cassandra rows belong to profiles gone from PostgreSQL: left out.
        assert await read_feedback(engine, cassandra) == from_postgres
    finally:
        await engine.dispose()
