"""Shared fixtures: a real PostgreSQL database, Redis and NATS, clean for every test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.testclient import TestClient

from migrations.runner import upgrade
from server.app import create_app
from server.worker import JOBS
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.catalog import seed_catalog
from tests.helpers.live_app import live_app
from tests.helpers.scheduling import SharedSetupScheduling
from tests.helpers.stores import (
    ADMIN_URL,
    REDIS_URL,
    TEST_DATABASE,
    delete_streams,
    drop_database,
    recreate_database,
    settings_for,
    truncate_all,
)

WORKER_JOBS = {job.name for job in JOBS}


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent under `-p no:xdist`
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` (as scripts/test runs the suite) by file and shared setup."""
    if config.getvalue("dist") != "loadscope":
        return None
    return SharedSetupScheduling(config, log)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated database for this test run (SQLAlchemy asyncpg URL)."""
    blocking(recreate_database(TEST_DATABASE))
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    url = f"{base}/{TEST_DATABASE}"
    upgrade(url)
    yield url
    blocking(drop_database(TEST_DATABASE))


@pytest.fixture
def clean_database(database_url: str) -> Iterator[str]:
    """The test database, emptied before the test."""
    blocking(truncate_all(database_url))
    yield database_url


@pytest.fixture
async def engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the emptied test database, on the test's event loop."""
    engine = create_async_engine(clean_database)
    yield engine
    await engine.dispose()


@pytest.fixture
def clean_redis() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    yield REDIS_URL


@pytest.fixture
def catalog(clean_database: str) -> dict[str, int]:
    """Title -> video id; "Harbour Nights" is a TV-MA series of 2 seasons x 3 episodes."""
    return blocking(seed_catalog(clean_database))


@pytest.fixture
def make_api(clean_database: str, clean_redis: str) -> Iterator[Callable[..., Api]]:
    """Build an API client; keyword arguments override settings (limits, say). Its requests
    come from ``client_host`` (the TestClient's own by default): per-IP limits see that."""
    clients: list[TestClient] = []

    def make(client_host: str = "testclient", **overrides: Any) -> Api:
        app = create_app(settings_for(clean_database, clean_redis, **overrides))
        client = TestClient(app, client=(client_host, 50000))
        clients.append(client.__enter__())
        return Api(client)

    yield make
    for client in clients:
        events = client.app.state.stores.events  # type: ignore[attr-defined]
        client.__exit__(None, None, None)
        blocking(delete_streams(events.prefix, events.broker))


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


@pytest.fixture
def count_statements(api: Api) -> Iterator[Callable[[], int]]:
    engine = api.client.app.state.stores.engine.sync_engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def record(*args: Any) -> None:
        # The in-process worker's jobs (the outbox relay polls every 0.25 s) share the
        # engine: only what requests run is counted.
        task = asyncio.current_task()
        if task is None or task.get_name() not in WORKER_JOBS:
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield lambda: len(statements)
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def live_url(clean_database: str, clean_redis: str) -> Iterator[str]:
    """The API served for real on a loopback port, for clients that are not Python."""
    with live_app(clean_database, clean_redis) as url:
        yield url
