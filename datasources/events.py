"""The event log on NATS JetStream: streams, publishing with an outbox, and replay.

Delivery is at least once. Every message carries an id (``Nats-Msg-Id``) so JetStream drops
duplicates inside its window, and consumers are idempotent for the rest. A publish that
fails (broker down, ack lost) goes to the ``event_outbox`` table and a relay retries it:
the write that caused the event is never held hostage by the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import structlog
from nats.aio.client import Client as NATS
from nats.js.api import ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.tables import event_outbox

log = structlog.get_logger("flix.events")

DUPLICATE_WINDOW = timedelta(minutes=2)
PUBLISH_TIMEOUT_SECONDS = 2.0


class Stream(StrEnum):
    VIEWING = "VIEWING"
    PLAYBACK = "PLAYBACK"
    EXPOSURE = "EXPOSURE"
    AUDIT = "AUDIT"


RETENTION = {
    Stream.VIEWING: timedelta(days=90),
    Stream.PLAYBACK: timedelta(days=30),
    Stream.EXPOSURE: timedelta(days=180),
    Stream.AUDIT: timedelta(days=365),
}


@dataclass(frozen=True)
class Event:
    sequence: int
    subject: str
    payload: dict[str, Any]


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def message_id(*parts: object) -> str:
    """A stable id for an event, so a retried publish is recognised as the same event."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]


class EventLog:
    def __init__(self, broker: NATS, engine: AsyncEngine, prefix: str = "") -> None:
        self._broker = broker
        self._js = broker.jetstream(timeout=PUBLISH_TIMEOUT_SECONDS)
        self._engine = engine
        # A prefix gives tests (or tenants) their own streams on a shared broker.
        self._prefix = prefix

    @property
    def prefix(self) -> str:
        return self._prefix

    def stream_name(self, stream: Stream) -> str:
        return f"{self._prefix.upper()}{stream.value}"

    def subject(self, stream: Stream, topic: str) -> str:
        return f"{self._prefix.lower()}{stream.value.lower()}.{topic}"

    async def ensure_streams(self) -> None:
        for stream, max_age in RETENTION.items():
            name = self.stream_name(stream)
            config = StreamConfig(
                name=name,
                subjects=[self.subject(stream, ">")],
                max_age=max_age.total_seconds(),
                duplicate_window=DUPLICATE_WINDOW.total_seconds(),
            )
            try:
                await self._js.stream_info(name)
                await self._js.update_stream(config)
            except NotFoundError:
                await self._js.add_stream(config)

    async def delete_streams(self) -> None:
        for stream in Stream:
            with contextlib.suppress(NotFoundError):
                await self._js.delete_stream(self.stream_name(stream))

    async def _send(self, subject: str, payload: Mapping[str, Any], msg_id: str) -> None:
        await self._js.publish(
            subject,
            json.dumps(payload, separators=(",", ":")).encode(),
            headers={"Nats-Msg-Id": msg_id},
        )

    async def publish(
        self, stream: Stream, topic: str, payload: Mapping[str, Any], msg_id: str
    ) -> bool:
        """Publish now if the broker answers, else keep it in the outbox; True if sent now."""
        subject = self.subject(stream, topic)
        try:
            await self._send(subject, payload, msg_id)
            return True
        except Exception as error:
            log.warning("publish failed; kept in outbox", subject=subject, error=repr(error))
        statement = insert(event_outbox).values(
            subject=subject, message_id=msg_id, payload=dict(payload)
        )
        async with self._engine.begin() as connection:
            await connection.execute(statement.on_conflict_do_nothing())
        return False

    async def relay_outbox(self, batch: int = 200) -> int:
        """Publish what the outbox holds, oldest first; stops at the first failure."""
        query = select(event_outbox).order_by(event_outbox.c.id).limit(batch)
        async with self._engine.connect() as connection:
            pending = (await connection.execute(query)).all()
        sent = 0
        for row in pending:
            try:
                await self._send(row.subject, row.payload, row.message_id)
            except Exception:
                async with self._engine.begin() as connection:
                    await connection.execute(
                        update(event_outbox)
                        .where(event_outbox.c.id == row.id)
                        .values(attempts=event_outbox.c.attempts + 1)
                    )
                break
            async with self._engine.begin() as connection:
                await connection.execute(delete(event_outbox).where(event_outbox.c.id == row.id))
            sent += 1
        return sent

    async def run_relay(self, interval_seconds: float = 1.0) -> None:
        """Drain the outbox for ever (a lifespan task); errors are logged, never fatal."""
        while True:
            try:
                await self.relay_outbox()
            except Exception as error:
                log.warning("outbox relay failed", error=repr(error))
            await asyncio.sleep(interval_seconds)

    async def consume(
        self,
        stream: Stream,
        durable: str,
        handle: Callable[[Event], Awaitable[None]],
        batch: int = 100,
    ) -> None:
        """Feed every new event to ``handle`` for ever (a lifespan task).

        A durable pull consumer: several workers share it and each event goes to one of
        them; an event is acknowledged only once handled, and given up after a few tries.
        """
        name = self.stream_name(stream)
        config = ConsumerConfig(max_deliver=5, ack_wait=30)
        while True:
            try:
                subscription = await self._js.pull_subscribe(
                    self.subject(stream, ">"), durable=f"{self._prefix}{durable}", stream=name,
                    config=config,
                )  # fmt: skip
                while True:
                    try:
                        messages = await subscription.fetch(batch, timeout=5)
                    except TimeoutError:
                        # nats-py may turn a cancellation into its own timeout: honour it.
                        if _cancelling():
                            raise asyncio.CancelledError from None
                        continue
                    for message in messages:
                        event = Event(
                            message.metadata.sequence.stream,
                            message.subject,
                            json.loads(message.data),
                        )
                        try:
                            await handle(event)
                        except Exception as error:
                            log.warning("event handler failed", durable=durable, error=repr(error))
                            await message.nak(delay=5)
                        else:
                            await message.ack()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker away: wait and subscribe again
                if _cancelling():
                    raise asyncio.CancelledError from None
                log.warning("consumer interrupted", durable=durable, error=repr(error))
                await asyncio.sleep(2)

    async def read(
        self, stream: Stream, *, since: datetime | None = None, from_sequence: int | None = None
    ) -> AsyncIterator[Event]:
        """Every event of the stream from a time or sequence (default: the start), in order."""
        name = self.stream_name(stream)
        last = (await self._js.stream_info(name)).state.last_seq
        if since is not None:
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since
            )
        elif from_sequence is not None:
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=from_sequence
            )
        else:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        subscription = await self._js.pull_subscribe(
            self.subject(stream, ">"), stream=name, config=config
        )
        try:
            while True:
                try:
                    messages = await subscription.fetch(256, timeout=1)
                except TimeoutError:
                    return  # nothing left to deliver
                for message in messages:
                    await message.ack()
                    sequence = message.metadata.sequence.stream
                    yield Event(sequence, message.subject, json.loads(message.data))
                    if sequence >= last:
                        return
        finally:
            await subscription.unsubscribe()
