"""The EventLog contract, run against every adapter: NATS JetStream always, Kafka where
FLIX_TEST_KAFKA_BOOTSTRAP points at a broker (skipped, visibly, otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.events import PUBLISH_TIMEOUT_SECONDS, Broker, Event, EventLog, Stream
from datasources.stores import StoreConfig, connect_event_log
from datasources.tables import event_outbox
from tests.helpers.brokers import Interruptible, interruptible_broker
from tests.helpers.stores import KAFKA_BOOTSTRAP, NATS_URL

SETTLE_SECONDS = 1.0  # for anything a consumer should not receive to show up anyway


def _skip_without_kafka(broker: Broker) -> None:
    if broker == "kafka" and not KAFKA_BOOTSTRAP:
        pytest.skip("Kafka contract tests need FLIX_TEST_KAFKA_BOOTSTRAP (no broker given)")


async def _open(
    broker: Broker,
    engine: AsyncEngine,
    *,
    nats_url: str = NATS_URL,
    kafka_bootstrap: str = "",
    prefix: str = "",
) -> EventLog:
    config = StoreConfig(
        "",
        "",
        nats_url,
        event_log=broker,
        kafka_bootstrap=kafka_bootstrap or KAFKA_BOOTSTRAP,
        events_prefix=prefix or f"t{uuid.uuid4().hex[:10]}_",
    )
    log = await connect_event_log(config, engine)
    await log.ensure_streams()
    return log


@pytest.fixture(params=["nats", "kafka"])
def broker(request: pytest.FixtureRequest) -> Broker:
    name: Broker = request.param
    _skip_without_kafka(name)
    return name


@pytest.fixture
async def log(broker: Broker, engine: AsyncEngine) -> AsyncIterator[EventLog]:
    log = await _open(broker, engine)
    yield log
    await log.delete_streams()
    await log.close()


@dataclass
class Consumer:
    """A running ``consume`` whose events are collected."""

    events: list[Event]
    task: asyncio.Task[None]

    def ids(self) -> list[int]:
        return [event.payload["n"] for event in self.events]

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def _consume(log: EventLog, durable: str) -> Consumer:
    events: list[Event] = []

    async def handle(event: Event) -> None:
        events.append(event)

    return Consumer(events, asyncio.create_task(log.consume(Stream.VIEWING, durable, handle)))


async def _until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _publish(log: EventLog, n: int, msg_id: str | None = None) -> bool:
    payload = {"n": n, "profile_id": "00000000-0000-0000-0000-000000000001"}
    return await log.publish(Stream.VIEWING, "progress", payload, msg_id or f"event-{n}")


async def _read(log: EventLog, **position: Any) -> list[Event]:
    return [event async for event in log.read(Stream.VIEWING, **position)]


def _ns(events: list[Event]) -> list[int]:
    return [event.payload["n"] for event in events]


async def test_a_retried_publish_is_seen_once(log: EventLog) -> None:
    consumer = _consume(log, "once")
    try:
        assert await _publish(log, 1)
        assert await _publish(log, 1)  # the same message id again: a retry
        assert await _publish(log, 2)
        await _until(lambda: 2 in consumer.ids())
        await asyncio.sleep(SETTLE_SECONDS)
        assert consumer.ids() == [1, 2]
    finally:
        await consumer.stop()
    events = await _read(log)
    assert _ns(events) == [1, 2]
    assert events[0].subject == f"{log.prefix.lower()}viewing.progress"


async def test_a_durable_consumer_resumes_where_it_stopped(log: EventLog) -> None:
    first = _consume(log, "resume")
    for n in (1, 2):
        await _publish(log, n)
    await _until(lambda: first.ids() == [1, 2])
    await asyncio.sleep(SETTLE_SECONDS)  # its acknowledgements land
    await first.stop()
    for n in (3, 4):
        await _publish(log, n)
    second = _consume(log, "resume")
    try:
        await _until(lambda: 4 in second.ids())
        await asyncio.sleep(SETTLE_SECONDS)
        assert second.ids() == [3, 4]
    finally:
        await second.stop()
    other = _consume(log, "another-durable")  # a new durable starts at the beginning
    try:
        await _until(lambda: other.ids() == [1, 2, 3, 4])
    finally:
        await other.stop()


async def test_replay_from_a_sequence_and_from_a_time(log: EventLog) -> None:
    for n in (1, 2, 3):
        await _publish(log, n)
    await asyncio.sleep(0.3)
    between = datetime.now(UTC)
    await asyncio.sleep(0.3)
    for n in (4, 5):
        await _publish(log, n)

    everything = await _read(log)
    assert _ns(everything) == [1, 2, 3, 4, 5]
    assert [event.sequence for event in everything] == [1, 2, 3, 4, 5]  # from 1, in order
    assert _ns(await _read(log, from_sequence=2)) == [2, 3, 4, 5]
    assert _ns(await _read(log, from_sequence=6)) == []
    assert _ns(await _read(log, since=between)) == [4, 5]
    assert _ns(await _read(log, since=datetime.now(UTC))) == []


async def _outbox_size(engine: AsyncEngine) -> int:
    url = engine.url.render_as_string(hide_password=False).replace("+asyncpg", "", 1)
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM event_outbox"))
    finally:
        await connection.close()


def _counting_sends(log: EventLog, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The events this log's relay sends, in the order it starts sending them; each send
    takes a moment, so that relays running side by side overlap."""
    sent: list[int] = []
    send = log._send  # type: ignore[attr-defined]

    async def counted(subject: str, payload: dict[str, Any], msg_id: str) -> None:
        sent.append(payload["n"])
        await asyncio.sleep(0.01)
        await send(subject, payload, msg_id)

    monkeypatch.setattr(log, "_send", counted)
    return sent


async def test_relays_side_by_side_send_each_outbox_row_once(
    broker: Broker, engine: AsyncEngine, log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    payloads = [{"n": n, "profile_id": "00000000-0000-0000-0000-000000000001"} for n in range(30)]
    subject = f"{log.prefix.lower()}viewing.progress"
    async with engine.begin() as connection:
        await connection.execute(
            insert(event_outbox),
            [{"subject": subject, "message_id": f"event-{p['n']}", "payload": p} for p in payloads],
        )
    other = await _open(broker, engine, prefix=log.prefix)  # another worker's relay
    try:
        first, second = _counting_sends(log, monkeypatch), _counting_sends(other, monkeypatch)

        async def drain(relay: EventLog) -> None:
            while await relay.relay_outbox(batch=5):
                pass

        await asyncio.wait_for(asyncio.gather(drain(log), drain(other)), 60)
    finally:
        await other.close()
    assert await _outbox_size(engine) == 0
    assert first and second  # both took part...
    assert sorted(first + second) == list(range(30))  # ...and no row went out twice
    assert first == sorted(first) and second == sorted(second)  # each oldest first
    assert sorted(_ns(await _read(log))) == list(range(30))


@contextlib.asynccontextmanager
async def _outage(
    broker: Broker, engine: AsyncEngine, folder: Path
) -> AsyncIterator[tuple[EventLog, Interruptible]]:
    """A log whose broker can be taken away (and brought back)."""
    with interruptible_broker(broker, folder) as interruptible:
        log = await _open(broker, engine, **interruptible.settings)
        try:
            yield log, interruptible
        finally:
            await log.delete_streams()
            await log.close()


async def test_a_broker_outage_loses_no_acknowledged_event(
    broker: Broker, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with _outage(broker, engine, tmp_path) as (log, outage):
        consumer = _consume(log, "outage")
        try:
            assert await _publish(log, 1)
            await _until(lambda: consumer.ids() == [1])
            outage.cut()
            for n in (2, 3, 4):
                started = time.monotonic()
                assert not await _publish(log, n)  # kept in the outbox, in bounded time
                assert time.monotonic() - started < PUBLISH_TIMEOUT_SECONDS + 2
            assert await _outbox_size(engine) == 3
            outage.heal()

            async def relay() -> None:
                while await _outbox_size(engine):
                    await log.relay_outbox()
                    await asyncio.sleep(0.5)

            await asyncio.wait_for(relay(), 60)
            await _until(lambda: len(consumer.ids()) >= 4)  # the consumer came back by itself
            await asyncio.sleep(SETTLE_SECONDS)
            # Each once; not necessarily in publish order (a publish the client buffered
            # through the outage may land after the relay's).
            assert sorted(consumer.ids()) == [1, 2, 3, 4]
        finally:
            await consumer.stop()
        assert sorted(_ns(await _read(log))) == [1, 2, 3, 4]
