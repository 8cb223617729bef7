"""The app under test with a store behind a fault proxy, to stall or cut it mid-test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from starlette.testclient import TestClient

from server.app import create_app
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.stores import delete_streams, settings_for


@contextmanager
def api_with_proxied(
    store: Literal["postgres", "redis"], database: str, redis: str, **settings: Any
) -> Iterator[tuple[Api, FaultProxy]]:
    """The app with PostgreSQL or Redis reached through a FaultProxy (blackholed, every
    statement or command hangs; reset, every connection is cut)."""
    parts = urlsplit(database if store == "postgres" else redis)
    with FaultProxy("127.0.0.1", parts.port or 0) as proxy:
        user = f"{parts.username}@" if parts.username else ""
        proxied = urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}"))
        urls = (proxied, redis) if store == "postgres" else (database, proxied)
        with TestClient(create_app(settings_for(*urls, **settings))) as client:
            events = client.app.state.stores.events  # type: ignore[attr-defined]
            try:
                yield Api(client), proxy
            finally:
                proxy.reset()  # cut the hung connections, so that the app stops promptly
        blocking(delete_streams(events.prefix, events.broker))
