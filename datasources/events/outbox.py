"""What the adapters share: names on the broker, and publishing through the outbox.

A publish that fails (broker down, ack lost, too slow) goes to the ``event_outbox`` table and a
relay retries it: the write that caused the event is never held hostage by the broker. An
adapter only says how to send one message (``_send``), bounded by ``PUBLISH_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.events.contract import Stream
from datasources.tables import event_outbox

log = structlog.get_logger("flix.events")

RECONNECT_SECONDS = 2.0
_CLAIM_OLDEST = (
    select(event_outbox).order_by(event_outbox.c.id).limit(1).with_for_update(skip_locked=True)
)


class OutboxPublisher(ABC):
    def __init__(self, engine: AsyncEngine, prefix: str = "") -> None:
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

    def stream_of(self, subject: str) -> Stream:
        """The stream a subject of ours belongs to (an outbox row keeps only the subject)."""
        return Stream(subject.removeprefix(self._prefix.lower()).split(".", 1)[0].upper())

    @abstractmethod
    async def _send(self, subject: str, payload: Mapping[str, Any], msg_id: str) -> None:
        """Publish one message and wait for the broker's ack, or raise."""

    async def publish(
        self, stream: Stream, topic: str, payload: Mapping[str, Any], msg_id: str
    ) -> bool:
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
        sent = 0
        while sent < batch and await self._relay_oldest():
            sent += 1
        return sent

    async def _relay_oldest(self) -> bool:
        """Publish the oldest row no other relay has claimed; True if it was sent (and gone)."""
        # The claim (a row lock other relays skip) is held while publishing, so no two relays
        # publish one row, and the delete commits with it. One row per claim: a lock lives for
        # one publish, and a relay that dies leaves at most that row to go out again (at
        # least once; readers drop repeats).
        async with self._engine.begin() as connection:
            row = (await connection.execute(_CLAIM_OLDEST)).first()
            if row is None:
                return False
            this_row = event_outbox.c.id == row.id
            try:
                await self._send(row.subject, row.payload, row.message_id)
            except Exception:
                bump = update(event_outbox).where(this_row)
                await connection.execute(bump.values(attempts=event_outbox.c.attempts + 1))
                return False  # the broker is away: the rest would fail too, and in order
            await connection.execute(delete(event_outbox).where(this_row))
            return True

    async def run_relay(self, interval_seconds: float = 1.0) -> None:
        while True:
            try:
                await self.relay_outbox()
            except Exception as error:  # errors are logged, never fatal
                log.warning("outbox relay failed", error=repr(error))
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
