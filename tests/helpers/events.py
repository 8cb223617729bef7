"""What the API under test published: its event log, read back through the app's own client."""

from __future__ import annotations

from datasources.events import Event, Stream
from tests.helpers.api import Api


def read_events(api: Api, stream: Stream) -> list[Event]:
    """Every event of the stream, from its start."""
    log = api.client.app.state.stores.events  # type: ignore[attr-defined]

    async def read() -> list[Event]:
        return [event async for event in log.read(stream)]

    return api.client.portal.call(read)  # type: ignore[union-attr]
