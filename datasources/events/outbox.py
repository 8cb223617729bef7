"""What the adapters share: names on the broker, and publishing through the outbox.

Two ways in. A write on PostgreSQL queues its event in its own transaction (``queue``, or the
heartbeats' statement): the relay publishes it after COMMIT, so a process that dies in
between loses nothing. A direct ``publish`` that fails (broker down, ack lost, too slow) lands
in the same table for the relay: the write that caused the event is never held hostage by
the broker. An adapter only says how to send one message (``_send``), bounded by
``PUBLISH_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from datasources.events.contract import Event, Outgoing, Stream
from datasources.events.sealing import PayloadSealer
from datasources.tables import event_outbox

log = structlog.get_logger("flix.events")

RECONNECT_SECONDS = 2.0
# Heartbeats reach the log through the outbox, so the relay keeps up with them: a quarter
# of a second between polls when idle, none while rows are waiting.
RELAY_INTERVAL_SECONDS = 0.25
RELAY_BATCH = 1000
CLAIM_ROWS = 100  # rows locked per transaction: published together, then deleted
_CLAIM_OLDEST = select(event_outbox).order_by(event_outbox.c.id).with_for_update(skip_locked=True)


async def queue(connection: AsyncConnection, event: Outgoing) -> None:
    """Put ``event`` in the outbox, in the connection's transaction (once per message id)."""
    statement = insert(event_outbox).values(
        subject=event.subject, message_id=event.message_id, payload=dict(event.payload)
    )
    await connection.execute(statement.on_conflict_do_nothing())


class OutboxPublisher(ABC):
    def __init__(
        self, engine: AsyncEngine, prefix: str = "", sealer: PayloadSealer | None = None
    ) -> None:
        self._engine = engine
        # A prefix gives tests (or tenants) their own streams on a shared broker.
        self._prefix = prefix
        # Seals personal fields on their way to the broker (datasources/events/sealing.py):
        # the outbox, in PostgreSQL where erasure reaches, holds events as they were written.
        self._sealer = sealer

    @property
    def prefix(self) -> str:
        return self._prefix

    def stream_name(self, stream: Stream) -> str:
        return f"{self._prefix.upper()}{stream.value}"

    def subject(self, stream: Stream, topic: str) -> str:
        return f"{self._prefix.lower()}{stream.value.lower()}.{topic}"

    def stream_of(self, subject: str) -> Stream:
        """The stream a subject of ours belongs to (an outbox row keeps only the subject)."""
        return Stream(subject.removeprefix(self._prefix.lower()).split(".", 1)[0].upper())

    @abstractmethod
    async def _send(self, subject: str, payload: Mapping[str, Any], msg_id: str) -> None:
        """Publish one message and wait for the broker's ack, or raise."""

    async def _sealed(
        self, payload: Mapping[str, Any], msg_id: str
    ) -> tuple[Mapping[str, Any], str]:
        """A message as it goes to the broker, published or relayed: personal fields sealed."""
        if self._sealer is None:
            return payload, msg_id
        return await self._sealer.seal(payload, msg_id)

    async def _sealed_send(self, subject: str, payload: Mapping[str, Any], msg_id: str) -> None:
        await self._send(subject, *await self._sealed(payload, msg_id))

    async def open(self, event: Event) -> Event:
        if self._sealer is None:
            return event
        return replace(event, payload=await self._sealer.open(event.payload))

    def _opening(
        self, handle: Callable[[Event], Awaitable[None]]
    ) -> Callable[[Event], Awaitable[None]]:
        """``handle`` fed opened events: what consumers get, without knowing of seals."""

        async def opened(event: Event) -> None:
            await handle(await self.open(event))

        return opened

    def outgoing(
        self, stream: Stream, topic: str, payload: Mapping[str, Any], msg_id: str
    ) -> Outgoing:
        return Outgoing(self.subject(stream, topic), msg_id, payload)

    async def publish(
        self, stream: Stream, topic: str, payload: Mapping[str, Any], msg_id: str
    ) -> bool:
        subject = self.subject(stream, topic)
        try:
            await self._sealed_send(subject, payload, msg_id)
            return True
        except Exception as error:
            log.warning("publish failed; kept in outbox", subject=subject, error=repr(error))
        async with self._engine.begin() as connection:
            await queue(connection, Outgoing(subject, msg_id, payload))
        return False

    async def relay_outbox(self, batch: int = 200) -> int:
        sent = 0
        while sent < batch:
            wanted = min(CLAIM_ROWS, batch - sent)
            published = await self._relay_oldest(wanted)
            sent += published
            if published < wanted:  # the broker failed, or the outbox (what others leave) is empty
                break
        return sent

    async def _relay_oldest(self, limit: int) -> int:
        """Publish the oldest rows no other relay has claimed, oldest first, and delete those
        sent; returns how many went out."""
        # The claim (row locks other relays skip) is held while publishing, so no two relays
        # publish one row, and the delete commits with it. A relay that dies leaves at most
        # its claim to go out again (at least once; readers drop repeats).
        async with self._engine.begin() as connection:
            rows = (await connection.execute(_CLAIM_OLDEST.limit(limit))).all()
            # All of the claim in flight at once, oldest first (sealed first, so that the sends
            # start in order): the broker acks them together, where one after another would
            # wait out a round trip (and a write) each.
            sealed = [await self._sealed(row.payload, row.message_id) for row in rows]
            outcomes = await asyncio.gather(
                *(
                    self._send(row.subject, payload, msg_id)
                    for row, (payload, msg_id) in zip(rows, sealed, strict=True)
                ),
                return_exceptions=True,
            )
            failed = {
                row.id: outcome for row, outcome in zip(rows, outcomes, strict=True) if outcome
            }
            sent = [row.id for row in rows if row.id not in failed]
            if failed:  # the broker is away, most likely: they go again on a later round
                error = next(iter(failed.values()))
                log.warning("relay: not acknowledged", rows=len(failed), error=repr(error))
                bump = update(event_outbox).where(event_outbox.c.id.in_(failed))
                await connection.execute(bump.values(attempts=event_outbox.c.attempts + 1))
            if sent:
                await connection.execute(delete(event_outbox).where(event_outbox.c.id.in_(sent)))
            return len(sent)

    async def run_relay(self, interval_seconds: float = RELAY_INTERVAL_SECONDS) -> None:
        while True:
            sent = 0
            try:
                sent = await self.relay_outbox(RELAY_BATCH)
            except Exception as error:  # errors are logged, never fatal
                log.warning("outbox relay failed", error=repr(error))
            if sent < RELAY_BATCH:  # a full batch: more is waiting, go on at once
                await asyncio.sleep(interval_seconds)


def cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def keep_consuming(durable: str, session: Callable[[], Awaitable[None]]) -> None:
    """Run a consumer session for ever: when the broker goes away, wait and start another."""
    while True:
        try:
            await session()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # Client libraries may turn a cancellation into an error of their own: honour it.
            if cancelling():
                raise asyncio.CancelledError from None
            log.warning("consumer interrupted", durable=durable, error=repr(error))
            await asyncio.sleep(RECONNECT_SECONDS)
