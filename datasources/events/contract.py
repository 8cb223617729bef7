"""The event log's contract, whichever broker carries it: streams, events, and what a log does.

Delivery is at least once and consumers are idempotent. Every message carries an id
(``message_id``) and is published once under retries as consumers see it: a message whose id
was already published less than ``DUPLICATE_WINDOW`` before it is dropped (JetStream drops it
on publish; the Kafka adapter skips it on consumption and replay).

Positions: an event's ``sequence`` counts from 1 at the start of its stream and grows by one per
message kept by the broker. ``read(from_sequence=N)`` yields the events whose sequence is N or
more; ``read(since=T)`` those the broker received at T or later.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

from core.retention import ARCHIVE_GRACE, Data, Rule
from core.retention import RETENTION as POLICY

DUPLICATE_WINDOW = timedelta(minutes=2)
# A publish waits this long for the broker, then leaves the event to the outbox.
PUBLISH_TIMEOUT_SECONDS = 2.0
# A consumer tries an event this often before giving up on it and moving on.
MAX_DELIVER = 5

Broker = Literal["nats", "kafka"]


class Stream(StrEnum):
    VIEWING = "VIEWING"
    PLAYBACK = "PLAYBACK"
    EXPOSURE = "EXPOSURE"
    AUDIT = "AUDIT"


# Which rule of core.retention each stream follows.
STREAM_DATA = {
    Stream.VIEWING: Data.VIEWING_EVENTS,
    Stream.PLAYBACK: Data.PLAYBACK_EVENTS,
    Stream.EXPOSURE: Data.EXPOSURE_EVENTS,
    Stream.AUDIT: Data.AUDIT_LOG,
}


def _max_age(rule: Rule) -> timedelta:
    # An archived stream outlives its hot window by the archive's grace: the broker must not
    # drop what the nightly archive has not taken yet (it trims what it took itself).
    return rule.hot + ARCHIVE_GRACE if rule.archived else rule.hot


# How long the broker keeps each stream (JetStream max_age, Kafka retention.ms).
RETENTION = {stream: _max_age(POLICY[data]) for stream, data in STREAM_DATA.items()}


@dataclass(frozen=True)
class Event:
    sequence: int
    subject: str
    payload: dict[str, Any]
    # When the broker stored it (its own clock): what archives partition by. Set on what
    # ``read`` yields; None where an adapter does not know it.
    time: datetime | None = None


@dataclass(frozen=True)
class Outgoing:
    """An event bound for the log, to be written to the outbox in the very transaction of the
    write that caused it (a transactional outbox): the relay publishes it after COMMIT, so
    an acknowledged write never loses its event, whenever the process dies."""

    subject: str
    message_id: str
    payload: Mapping[str, Any]


def message_id(*parts: object) -> str:
    """A stable id for an event, so a retried publish is recognised as the same event."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]


class EventLog(Protocol):
    @property
    def broker(self) -> Broker:
        """Which broker carries the log; the readiness check is named after it."""
        ...

    @property
    def prefix(self) -> str:
        """Prefixes stream names: separate logs (tests, tenants) on one broker."""
        ...

    async def ensure_streams(self) -> None:
        """Create the streams, or bring their retention up to date."""
        ...

    async def delete_streams(self) -> None: ...

    async def publish(
        self, stream: Stream, topic: str, payload: Mapping[str, Any], msg_id: str
    ) -> bool:
        """Publish now if the broker answers in time, else keep it in the outbox for the relay;
        True if sent now. Returns in about ``PUBLISH_TIMEOUT_SECONDS`` at most."""
        ...

    def outgoing(
        self, stream: Stream, topic: str, payload: Mapping[str, Any], msg_id: str
    ) -> Outgoing:
        """The event as an outbox row, for a store that writes it in its own transaction."""
        ...

    async def relay_outbox(self, batch: int = 200) -> int:
        """Publish what the outbox holds, oldest first; stops at the first failure. Rows another
        relay (another worker's) is publishing are skipped: two relays never send one row."""
        ...

    async def run_relay(self, interval_seconds: float = 0.25) -> None:
        """Drain the outbox for ever (a worker's job): at once while rows wait, else every
        ``interval_seconds``."""
        ...

    async def consume(
        self,
        stream: Stream,
        durable: str,
        handle: Callable[[Event], Awaitable[None]],
        batch: int = 100,
    ) -> None:
        """Feed every event to ``handle`` for ever (a lifespan task), resuming where the durable
        consumer of that name left off (new durables start at the beginning). Workers sharing
        a durable share its events; an event is acknowledged once handled, and given up after
        ``MAX_DELIVER`` tries. Rides out broker outages."""
        ...

    def read(
        self, stream: Stream, *, since: datetime | None = None, from_sequence: int | None = None
    ) -> AsyncIterator[Event]:
        """Every event of the stream from a time or sequence (default: the start), in order,
        up to the last one as of the call, as the broker holds it: personal fields sealed
        (datasources/events/sealing.py; what archives keep). ``open`` unseals one."""
        ...

    async def open(self, event: Event) -> Event:
        """The event with its sealed personal fields back while their keys exist (absent
        once the person is erased); what ``consume`` hands its handler."""
        ...

    async def trim(self, stream: Stream, up_to_sequence: int) -> None:
        """Drop the stream's events up to and including ``up_to_sequence`` (what an archive
        has taken): JetStream purges below a sequence, Kafka deletes records below an offset.
        Sequences of the events kept do not change."""
        ...

    async def first_sequence(self, stream: Stream) -> int:
        """The sequence of the oldest event the stream keeps (one past the last when empty)."""
        ...

    async def ready(self) -> bool:
        """Whether the broker answers right now."""
        ...

    async def close(self) -> None: ...
