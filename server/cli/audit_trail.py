"""Audit records of what staff do from the command line (role grants, ingests).

A command opens the event log just for its record; a broker that does not answer leaves the
record in the outbox for the worker's relay (``EventLog.publish``), so the action is never
failed for its sake. Without a broker configured at all there is no trail to write to: the
command says so rather than queue a record no relay of that deployment could deliver.
"""

from __future__ import annotations

import contextlib
from typing import Any

import typer
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.stores import StoreConfig, connect_event_log
from lifecycle.audit import AuditAction, audit
from server.settings import Settings


async def audit_from_cli(settings: Settings, action: AuditAction, **fields: Any) -> None:
    broker = settings.kafka_bootstrap if settings.event_log == "kafka" else settings.nats_url
    if settings.database_url is None or not broker:
        typer.secho(f"note: no event log configured, {action} is not in the audit trail", err=True)
        return
    config = StoreConfig(
        settings.database_url,
        settings.redis_url or "",
        nats_url=settings.nats_url or "",
        events_prefix=settings.events_prefix,
        event_log=settings.event_log,
        kafka_bootstrap=settings.kafka_bootstrap,
    )
    engine = create_async_engine(settings.database_url)
    try:
        events = await connect_event_log(config, engine)
        try:
            await audit(events, action, **fields)
        finally:
            with contextlib.suppress(Exception):
                await events.close()
    finally:
        await engine.dispose()
