"""The event log: one contract (``EventLog``), two adapters (``nats``: JetStream, the default;
``kafka``: Apache Kafka), and the outbox they share. See ``contract`` for the guarantees."""

from __future__ import annotations

from datasources.events.contract import (
    DUPLICATE_WINDOW,
    MAX_DELIVER,
    PUBLISH_TIMEOUT_SECONDS,
    RETENTION,
    Broker,
    Event,
    EventLog,
    Outgoing,
    Stream,
    message_id,
)

__all__ = [
    "DUPLICATE_WINDOW",
    "MAX_DELIVER",
    "PUBLISH_TIMEOUT_SECONDS",
    "RETENTION",
    "Broker",
    "Event",
    "EventLog",
    "Outgoing",
    "Stream",
    "message_id",
]
