"""Federation fixtures: the subgraphs served by uvicorn, and a real Hive Gateway in front.

The gateway (Node, from ``server/gateway/``) starts once per run on a fixed subgraphs
address; each test serves a fresh app there (over the clean database and Redis of the test)
with uvicorn in a thread, so tests can count the app's statements like the in-process ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx2 as httpx
import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from server.app import create_app
from server.gateway_process import GATEWAY_DIR, gateway_server
from server.processes import HOST, ChildServer, EmbeddedServerError, free_port
from server.settings import Settings
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.live_app import LiveApp
from tests.helpers.stores import delete_streams, settings_for

START_TIMEOUT_S = 30.0


@dataclass
class Gateway:
    url: str
    subgraphs_port: int
    child: ChildServer


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    if not (GATEWAY_DIR / "node_modules").is_dir():
        pytest.skip("server/gateway is not installed: run scripts/install")
    subgraphs_port, port = free_port(), free_port()
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    try:
        child = gateway_server(f"http://{HOST}:{subgraphs_port}", port, log)
    except EmbeddedServerError as error:
        pytest.skip(str(error))
    child.start()
    try:
        yield Gateway(f"http://{HOST}:{port}", subgraphs_port, child)
    finally:
        child.stop()


@dataclass
class Federation:
    """The same app reached three ways: the gateway, the merged schema, a subgraph."""

    gateway: Gateway
    live: LiveApp
    clients: list[httpx.Client]

    def api_at(self, base_url: str) -> Api:
        client = httpx.Client(base_url=base_url, timeout=30)
        self.clients.append(client)
        # Api drives a TestClient; any httpx client with a base URL serves it as well.
        return Api(cast(TestClient, client))

    def through_gateway(self) -> Api:
        return self.api_at(self.gateway.url)

    def merged(self) -> Api:
        return self.api_at(self.live.url)

    def subgraph(self, name: str) -> Api:
        return self.api_at(f"{self.live.url}/subgraphs/{name}")

    def same_viewer(self, api: Api, via: Callable[[], Api]) -> Api:
        """Another way in, as the viewer ``api`` is signed in as."""
        other = via()
        other.token = api.token
        other.password = api.password
        return other


@contextmanager
def _serving(gateway: Gateway, settings: Settings) -> Iterator[LiveApp]:
    """The app on the port the gateway calls its subgraphs on."""
    live = LiveApp(create_app(settings), gateway.subgraphs_port)
    live.start()
    try:
        yield live
    finally:
        live.stop()
        blocking(delete_streams(settings.events_prefix))


def _test_settings(database: str, redis: str, **overrides: Any) -> Settings:
    # As under `flix serve`, whose worker is a process of its own: no outbox relay polling
    # this app's engine every quarter second, which a statement count would catch mid-request
    # (the federated paths here read nothing the relay or the consumers produce).
    return settings_for(database, redis, login_attempts=10_000, inline_worker=False, **overrides)


@pytest.fixture
def federation(gateway: Gateway, clean_database: str, clean_redis: str) -> Iterator[Federation]:
    """/graphql is the merged schema; the gateway in front of the subgraphs beside it."""
    with _serving(gateway, _test_settings(clean_database, clean_redis)) as live:
        found = Federation(gateway, live, [])
        try:
            yield found
        finally:
            for client in found.clients:
                client.close()


REGISTRATIONS_PER_IP = 2


@pytest.fixture
def federated(gateway: Gateway, clean_database: str, clean_redis: str) -> Iterator[LiveApp]:
    """The app as `flix serve --federated` runs it: /graphql answered through the gateway."""
    settings = _test_settings(
        clean_database,
        clean_redis,
        gateway_url=gateway.url,
        registration_attempts=REGISTRATIONS_PER_IP,
    )
    with _serving(gateway, settings) as live:
        yield live


@pytest.fixture
def count_statements(federation: Federation) -> Iterator[Callable[[], int]]:
    engine = federation.live.app.state.stores.engine.sync_engine
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield lambda: len(statements)
    event.remove(engine, "before_cursor_execute", record)


def gateway_log(gateway: Gateway) -> str:
    log: Path = gateway.child.log
    return log.read_text(errors="replace")[-4000:] if log.exists() else ""
