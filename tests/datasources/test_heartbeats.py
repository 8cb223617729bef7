"""Heartbeats on PostgreSQL: a window of updates is one statement, written in rounds where a
key repeats, with an outbox row for each update that landed and for no other."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.viewing_records import MOVIE, ProgressUpdate, TitleState, TitleStateKind
from datasources.events import Outgoing
from datasources.tables import event_outbox
from datasources.viewing.heartbeats import Heartbeat, rounds
from datasources.viewing.postgres import PostgresViewingStore
from tests.helpers.catalog import seed_catalog
from tests.helpers.profiles import insert_profile

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _beat(profile: uuid.UUID, video: int, at: int, episode: int = MOVIE) -> Heartbeat:
    update = ProgressUpdate(
        profile, video, episode, float(at), 100.0, T0 + timedelta(seconds=at), "tv"
    )
    title = TitleState(
        video, episode, float(at), 100.0, TitleStateKind.IN_PROGRESS, update.client_timestamp, "tv"
    )
    event = Outgoing("viewing.progress", f"{profile}:{video}:{episode}:{at}", {"at": at})
    return Heartbeat(update, title, event)


def test_a_repeated_key_waits_for_the_next_round_in_arrival_order() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    beats = [_beat(a, 1, 1), _beat(b, 1, 1), _beat(a, 1, 2), _beat(a, 2, 1), _beat(a, 1, 3)]
    assert rounds(beats) == [[0, 1, 3], [2], [4]]
    # Another episode of the same series is another progress key but the same title key.
    series = [_beat(a, 5, 1, episode=10), _beat(a, 5, 2, episode=11)]
    assert rounds(series) == [[0], [1]]


@pytest.fixture
async def engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    await seed_catalog(clean_database)
    engine = create_async_engine(clean_database)
    yield engine
    await engine.dispose()


async def test_a_window_is_one_statement_and_queues_only_what_landed(engine: AsyncEngine) -> None:
    store = PostgresViewingStore(engine)
    profile = await insert_profile(engine)
    assert await store.apply(*_fields(_beat(profile, 1, 50)))  # stored: position 50

    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        beats = [_beat(profile, 2, at) for at in (10, 30, 20)]  # one key three times
        beats += [_beat(profile, 1, 40), _beat(profile, 3, 5)]  # stale, fresh
        landed = await asyncio.gather(*(store.apply(*_fields(beat)) for beat in beats))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)

    # 20 after 30 and 40 after 50: stale (a movie's progress and standing move together)
    assert [(a.progress, a.title) for a in landed] == [(ok, ok) for ok in (1, 1, 0, 0, 1)]
    assert len(statements) == 3  # the rounds of one window (one COMMIT), not one per update
    async with engine.connect() as connection:
        queued = set(await connection.scalars(select(event_outbox.c.message_id)))
    expected = {_message_id(beat) for beat, ok in zip(beats, landed, strict=True) if ok}
    assert queued == expected | {_message_id(_beat(profile, 1, 50))}
    stored = await store.progress(profile, [(2, MOVIE), (1, MOVIE)])
    assert stored[(2, MOVIE)].position_seconds == 30 and stored[(1, MOVIE)].position_seconds == 50


def _fields(beat: Heartbeat) -> tuple[ProgressUpdate, TitleState, Outgoing | None]:
    return beat.update, beat.title, beat.event


def _message_id(beat: Heartbeat) -> str:
    assert beat.event is not None
    return beat.event.message_id
