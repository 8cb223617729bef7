"""Sealing personal fields on the event log (crypto-shredding), on the real PostgreSQL and
NATS: sealed on the way out, opened for consumers while the key lives, noise once it is
deleted, while what counts (video, type, time) stays readable."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources import subject_keys, tables
from datasources.events import Event, EventLog, Stream
from datasources.events.sealing import SEALED, PayloadSealer, envelope_key_ids
from datasources.stores import StoreConfig, connect_event_log
from datasources.tables import profiles
from tests.helpers.profiles import insert_profile
from tests.helpers.stores import NATS_URL


@pytest.fixture
async def log(engine: AsyncEngine) -> AsyncIterator[EventLog]:
    config = StoreConfig("", "", NATS_URL, events_prefix=f"t{uuid.uuid4().hex[:10]}_")
    log = await connect_event_log(config, engine)
    await log.ensure_streams()
    yield log
    await log.delete_streams()
    await log.close()


def _playback(profile: uuid.UUID) -> dict[str, object]:
    return {
        "type": "START",
        "profile_id": str(profile),
        "country": "US",
        "video_id": 7,
        "at": "2026-12-01T10:00:00+00:00",
        "playback_session_id": "session-1",
        "message": None,
    }


async def _erase_keys(engine: AsyncEngine, profile: uuid.UUID) -> None:
    async with engine.begin() as connection:
        await subject_keys.delete_keys(connection, subject_ids=[profile])
    subject_keys.forget_cached_keys()


async def test_personal_fields_leave_sealed_and_open_while_the_key_lives(
    engine: AsyncEngine,
) -> None:
    profile = await insert_profile(engine)
    sealer = PayloadSealer(engine)
    payload = _playback(profile)
    sealed, msg_id = await sealer.seal(payload, "original-id")
    text = json.dumps(sealed)
    assert str(profile) not in text and "session-1" not in text
    assert {"type", "country", "video_id", "at", SEALED} <= sealed.keys()
    assert "profile_id" not in sealed and "playback_session_id" not in sealed
    # The broker's message id is stable (retries dedupe) and is not the computable one.
    again, same_id = await sealer.seal(payload, "original-id")
    assert same_id == msg_id != "original-id"
    assert again[SEALED] != sealed[SEALED]  # a fresh nonce every time
    assert await sealer.open(sealed) == payload


async def test_after_erasure_the_sealed_fields_are_gone_and_the_rest_still_counts(
    engine: AsyncEngine, log: EventLog
) -> None:
    profile = await insert_profile(engine)
    other = await insert_profile(engine)
    for who in (profile, other):
        payload = _playback(who)
        assert await log.publish(Stream.PLAYBACK, "start", payload, f"start-{who}")
    seen: list[Event] = []
    both = asyncio.Event()

    async def handle(event: Event) -> None:
        seen.append(event)
        if len(seen) == 2:
            both.set()

    consumer = asyncio.create_task(log.consume(Stream.PLAYBACK, "sealing", handle))
    try:
        await asyncio.wait_for(both.wait(), 30)
    finally:
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
    # Consumers get the fields back without knowing of seals.
    assert {event.payload["profile_id"] for event in seen} == {str(profile), str(other)}
    raw = [event async for event in log.read(Stream.PLAYBACK)]
    assert all("profile_id" not in event.payload for event in raw)

    await _erase_keys(engine, profile)
    opened = [(await log.open(event)).payload for event in raw]
    assert sorted(str(p.get("profile_id")) for p in opened) == sorted(["None", str(other)])
    # What counts is still there for every event: the type, the title, the time.
    assert [(p["type"], p["video_id"], p["at"]) for p in opened] == [
        ("START", 7, "2026-12-01T10:00:00+00:00")
    ] * 2
    gone = next(p for p in opened if "profile_id" not in p)
    assert "playback_session_id" not in gone


async def test_nothing_is_sealed_for_someone_who_no_longer_exists(engine: AsyncEngine) -> None:
    profile = await insert_profile(engine)
    async with engine.begin() as connection:
        await connection.execute(profiles.delete().where(profiles.c.id == profile))
    sealed, _ = await PayloadSealer(engine).seal(_playback(profile), "id")
    assert SEALED not in sealed and "profile_id" not in sealed
    assert sealed["video_id"] == 7
    assert not envelope_key_ids(sealed)
    async with engine.connect() as connection:
        count = select(func.count()).select_from(tables.subject_keys)
        assert await connection.scalar(count) == 0
