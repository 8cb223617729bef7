"""What the API under test published: its event log, read back through the app's own client."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from datasources.events import Event, Stream
from datasources.tables import event_outbox
from tests.helpers.api import Api

RELAY_WAIT_SECONDS = 30


def wait_for_relay(api: Api) -> None:
    """Until the outbox is empty: every event written so far is in the log (the relay deletes
    a row only once the broker has acknowledged it)."""
    engine = api.client.app.state.stores.engine  # type: ignore[attr-defined]

    async def drained() -> None:
        deadline = time.monotonic() + RELAY_WAIT_SECONDS
        while time.monotonic() < deadline:
            async with engine.connect() as connection:
                if not await connection.scalar(select(func.count()).select_from(event_outbox)):
                    return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the outbox was not relayed within {RELAY_WAIT_SECONDS} s")

    api.client.portal.call(drained)  # type: ignore[union-attr]


def read_events(api: Api, stream: Stream) -> list[Event]:
    """Every event of the stream, from its start, once the outbox has been relayed."""
    wait_for_relay(api)
    return read_events_now(api, stream)


def read_events_now(api: Api, stream: Stream, *, sealed: bool = False) -> list[Event]:
    """Every event the stream holds right now, whatever the outbox still holds: opened as
    consumers see them, or ``sealed`` as the broker holds them."""
    log = api.client.app.state.stores.events  # type: ignore[attr-defined]

    async def read() -> list[Event]:
        if sealed:
            return [event async for event in log.read(stream)]
        return [await log.open(event) async for event in log.read(stream)]

    return api.client.portal.call(read)  # type: ignore[union-attr]
