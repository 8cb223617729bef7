"""The ViewingStore contract, run against every adapter: PostgreSQL always, Cassandra where
FLIX_CASSANDRA_HOSTS points at one (skipped, visibly, otherwise)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.tables import accounts, profiles
from datasources.viewing.records import MOVIE, ProgressUpdate, TitleState, TitleStateKind
from datasources.viewing.store import ViewingStore

T0 = datetime(2026, 3, 1, tzinfo=UTC)
CASSANDRA_HOSTS = [h for h in os.environ.get("FLIX_CASSANDRA_HOSTS", "").split(",") if h]


async def _profile(database_url: str) -> uuid.UUID:
    """A real profile (and video ids 1..3) for the PostgreSQL adapter's foreign keys."""
    from tests.conftest import _seed

    await _seed(database_url)
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        account = await connection.scalar(
            insert(accounts)
            .values(email=f"{uuid.uuid4().hex}@x.io", password_hash="-", country="US", plan="BASIC")
            .returning(accounts.c.id)
        )
        profile = await connection.scalar(
            insert(profiles).values(account_id=account, name="P").returning(profiles.c.id)
        )
    await engine.dispose()
    assert isinstance(profile, uuid.UUID)
    return profile


@pytest.fixture(params=["postgres", "cassandra"])
async def store(
    request: pytest.FixtureRequest, clean_database: str
) -> AsyncIterator[tuple[ViewingStore, uuid.UUID]]:
    profile = await _profile(clean_database)
    if request.param == "postgres":
        from datasources.viewing.postgres import PostgresViewingStore

        engine = create_async_engine(clean_database)
        yield PostgresViewingStore(engine), profile
        await engine.dispose()
        return
    if not CASSANDRA_HOSTS:
        pytest.skip("Cassandra contract tests need FLIX_CASSANDRA_HOSTS (none reachable here)")
    from datasources.viewing.cassandra import CassandraViewingStore

    cassandra = CassandraViewingStore(CASSANDRA_HOSTS, f"flix_test_{uuid.uuid4().hex[:8]}")
    yield cassandra, profile
    await cassandra.close()


def _update(
    profile: uuid.UUID, video: int, position: float, at: int, device: str = "d"
) -> ProgressUpdate:
    return ProgressUpdate(
        profile, video, MOVIE, position, 100.0, T0 + timedelta(seconds=at), device
    )


def _title(update: ProgressUpdate, kind: TitleStateKind = TitleStateKind.IN_PROGRESS) -> TitleState:
    return TitleState(
        update.video_id, MOVIE, update.position_seconds, update.duration_seconds, kind,
        update.client_timestamp, update.device_id,
    )  # fmt: skip


async def _apply(store: ViewingStore, update: ProgressUpdate) -> bool:
    return await store.apply(update, _title(update))


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
    assert await _apply(viewing, newest)
    assert not await _apply(viewing, newest)
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
