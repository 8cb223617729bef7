"""The stores the tests run on: scripts/test starts them (server/supervisor.py) and names
them in FLIX_TEST_*; databases, streams and settings of a test process."""

from __future__ import annotations

import os
import uuid
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import redis
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.events import Broker
from datasources.stores import StoreConfig, connect_event_log
from datasources.tables import metadata
from server.settings import Settings

# The stores scripts/test started (server/supervisor.py), or the ones the FLIX_TEST_* name.
ADMIN_URL = os.environ.get("FLIX_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")

_REDIS = urlsplit(os.environ.get("FLIX_TEST_REDIS_URL", "redis://127.0.0.1:6379"))

REDIS_SERVER = f"{_REDIS.scheme}://{_REDIS.netloc}"

NATS_URL = os.environ.get("FLIX_TEST_NATS_URL", "nats://127.0.0.1:4222")

KAFKA_BOOTSTRAP = os.environ.get("FLIX_TEST_KAFKA_BOOTSTRAP", "")

CASSANDRA_HOSTS = os.environ.get("FLIX_TEST_CASSANDRA_HOSTS", "")


def _process_slot() -> int:
    """Which of the parallel test processes this is: pytest-xdist's worker number (scripts/test
    runs one worker per core), or a number from the pid for runs started side by side."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ...
    return int(worker[2:]) if worker.startswith("gw") else os.getpid()


def redis_database(purpose: int) -> str:
    """A Redis database of this test process for ``purpose`` (0: the unit tests', 1: the
    browser tests' server's): parallel processes on one server keep apart (up to 7 workers)."""
    return f"{REDIS_SERVER}/{1 + (2 * _process_slot() + purpose) % 15}"


REDIS_URL = redis_database(0)

TEST_DATABASE = f"flix_test_{os.getpid()}"


async def recreate_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def truncate_all(url: str) -> None:
    connection = await asyncpg.connect(url.replace("+asyncpg", "", 1))
    try:
        names = ", ".join(table.name for table in metadata.sorted_tables)
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


METRICS_TOKEN = "test-metrics-token"


def settings_for(database_url: str, redis: str, **overrides: Any) -> Settings:
    defaults = {
        "database_url": database_url,
        "redis_url": redis,
        "nats_url": NATS_URL,
        "kafka_bootstrap": KAFKA_BOOTSTRAP,  # used when FLIX_EVENT_LOG=kafka
        # Used when FLIX_VIEWING_STORE=cassandra: one keyspace for the run, like the database.
        "cassandra_hosts": CASSANDRA_HOSTS,
        "cassandra_keyspace": TEST_DATABASE,
        # Each test gets streams of its own on the shared broker.
        "events_prefix": f"t{uuid.uuid4().hex[:10]}_",
        "media_signing_key": "test-signing-key",
        "media_master_key": "00" * 32,
        # The TestClient's client host is "testclient", not loopback: tests scrape with it.
        "metrics_token": METRICS_TOKEN,
        # The relay and the consumers in-process: tests read what they produce.
        "inline_worker": True,
        # A loaded CI machine may take more than the production 2 s over a statement; the
        # stores' timeouts are tested with their own value (tests/server/test_outages.py).
        "store_timeout_seconds": 10,
        # Tests make many requests in a second; the seed's limits (sign-in's aside) are
        # tested in tests/security/test_rate_limits.py, with this back at 1.
        "rate_limit_scale": 1000,
    }
    return Settings(**{**defaults, **overrides})


async def delete_streams(prefix: str, broker: Broker | None = None) -> None:
    """Over a connection of our own: the app's may run through a proxy that is gone. The
    broker defaults to the one FLIX_EVENT_LOG names, as the app's does."""
    database_url = ADMIN_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    config = StoreConfig(
        database_url,
        "",
        NATS_URL,
        events_prefix=prefix,
        event_log=broker or Settings().event_log,
        kafka_bootstrap=KAFKA_BOOTSTRAP,
    )
    engine = create_async_engine(database_url)  # never connects: deleting needs no outbox
    events = await connect_event_log(config, engine)
    try:
        await events.delete_streams()
    finally:
        await events.close()
        await engine.dispose()


def forget_rate_limits() -> None:
    """Drop every rate-limit window (auth/rate_limit.py), so that a test counts from its
    own first request rather than from the sign-up and profile choice before it."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(match="ratelimit:*"):
            client.delete(key)
    finally:
        client.close()
