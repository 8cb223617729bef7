"""The stores a bench runs against.

PostgreSQL, Redis and NATS are the machine's when FLIX_BENCH_POSTGRES (an admin libpq URL),
FLIX_BENCH_REDIS_URL and FLIX_BENCH_NATS_URL name them (loopback only), and otherwise private
ones started under the run's folder on free loopback ports (server/embedded.py's ChildServers,
restartable in place). Kafka and Cassandra, when asked for, are always private (server/jvm/).
On the way out the bench's database is dropped from a shared PostgreSQL, its Redis database
flushed, its NATS streams deleted, and every private server stopped; each step on its own, so
that one failing does not leave the others undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import asyncpg
from nats.aio.client import Client as NATS
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness import DATA_DIR, log, require_loopback, with_path
from datasources.events.nats import NatsEventLog
from migrations.runner import upgrade
from server import embedded
from server.cli.catalog import import_demo_catalog
from server.jvm.cassandra import cassandra_server
from server.jvm.kafka import kafka_server
from server.processes import HOST, ChildServer

CASSANDRA_KEYSPACE = "flix_bench"


@dataclass
class Stores:
    """Where the run's stores are, and the private servers it started, by name (``postgres``,
    ``redis``, ``nats`` or ``kafka``, ``cassandra``) in the order they started."""

    admin_url: str  # libpq, the PostgreSQL server's ``postgres`` database
    database: str  # the bench's own, on that server
    redis_url: str
    event_log: str  # "nats" or "kafka"
    events_url: str  # nats://host:port, or Kafka's host:port
    events_prefix: str
    cassandra_hosts: str | None = None
    private: dict[str, ChildServer] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        """libpq (asyncpg)."""
        return with_path(self.admin_url, self.database)

    @property
    def sqlalchemy_url(self) -> str:
        return with_path(self.admin_url, self.database, "postgresql+asyncpg")

    def settings(self) -> dict[str, str]:
        """The API's FLIX_* store settings."""
        values = {
            "FLIX_DATABASE_URL": self.sqlalchemy_url,
            "FLIX_REDIS_URL": self.redis_url,
            "FLIX_EVENT_LOG": self.event_log,
            "FLIX_EVENTS_PREFIX": self.events_prefix,
            "FLIX_VIEWING_STORE": "postgres" if self.cassandra_hosts is None else "cassandra",
        }
        if self.event_log == "kafka":
            values["FLIX_KAFKA_BOOTSTRAP"] = self.events_url
        else:
            values["FLIX_NATS_URL"] = self.events_url
        if self.cassandra_hosts is not None:
            values["FLIX_CASSANDRA_HOSTS"] = self.cassandra_hosts
            values["FLIX_CASSANDRA_KEYSPACE"] = CASSANDRA_KEYSPACE
        return values


def open_stores(
    stack: contextlib.ExitStack,
    work: Path,
    *,
    database: str,
    events_prefix: str,
    shared: bool = True,
    shared_redis_db: int = 0,
    persistent_redis: bool = False,
    postgres_settings: Mapping[str, str] | None = None,
    event_log: str = "nats",
    viewing_store: str = "postgres",
) -> Stores:
    """The run's stores, with an empty database ``database``, undone by ``stack``.

    ``shared=False`` ignores FLIX_BENCH_* (a bench that restarts its stores must own them). A
    shared Redis gets database ``shared_redis_db`` unless its URL names one, flushed at both
    ends; a private one keeps its data across restarts with ``persistent_redis``.
    """
    private: dict[str, ChildServer] = {}

    def started(name: str, server: ChildServer) -> ChildServer:
        log(f"starting a private {server.name}")
        stack.callback(server.stop, log)
        server.start()
        private[name] = server
        return server

    def undo(what: str, step: Callable[[], Coroutine[Any, Any, None]]) -> None:
        stack.callback(_quietly, what, step)

    environ = os.environ if shared else {}
    admin = environ.get("FLIX_BENCH_POSTGRES")
    if admin:
        admin = require_loopback(admin)
    else:
        pg = started("postgres", embedded.postgres_server(work, log, postgres_settings))
        admin = f"postgresql://postgres@{HOST}:{pg.port}/postgres"
    asyncio.run(recreate_database(admin, database))
    if "postgres" not in private:  # a private one goes with the run's folder
        undo(f"drop the database {database}", partial(drop_database, admin, database))

    if shared_redis := environ.get("FLIX_BENCH_REDIS_URL"):
        redis_url = require_loopback(shared_redis)
        if not urlsplit(redis_url).path.strip("/"):
            redis_url = with_path(redis_url, str(shared_redis_db))
        asyncio.run(flush_redis(redis_url))
        undo("flush the Redis database", partial(flush_redis, redis_url))
    else:
        redis = started("redis", embedded.redis_server(work, persistent=persistent_redis))
        redis_url = f"redis://{HOST}:{redis.port}/0"

    if event_log == "kafka":
        events_url = f"{HOST}:{started('kafka', kafka_server(work, log)).port}"
    elif nats_url := environ.get("FLIX_BENCH_NATS_URL"):
        events_url = require_loopback(nats_url)
        undo("delete the NATS streams", partial(delete_streams, events_url, events_prefix))
    else:
        events_url = f"nats://{HOST}:{started('nats', embedded.nats_server(work)).port}"

    cassandra_hosts = None
    if viewing_store == "cassandra":
        cassandra_hosts = f"{HOST}:{started('cassandra', cassandra_server(work, log)).port}"
    return Stores(
        admin_url=admin,
        database=database,
        redis_url=redis_url,
        event_log=event_log,
        events_url=events_url,
        events_prefix=events_prefix,
        cassandra_hosts=cassandra_hosts,
        private=private,
    )


def migrate_and_import(stores: Stores) -> None:
    """The schema, then the demo catalog (MovieLens-100k, downloaded once into .flix/cache)."""
    log("migrating and importing the demo catalog…")
    upgrade(stores.sqlalchemy_url)
    asyncio.run(import_demo_catalog(stores.sqlalchemy_url, DATA_DIR, show_progress=False))


def _quietly(what: str, step: Callable[[], Coroutine[Any, Any, None]]) -> None:
    log(f"cleaning up: {what}")
    try:
        asyncio.run(step())
    except Exception as error:
        log(f"could not {what}: {type(error).__name__}: {error}")


async def recreate_database(admin: str, name: str) -> None:
    """An empty database ``name``, whatever was there before."""
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(admin: str, name: str) -> None:
    """Drop database ``name`` (its sessions too) if it exists."""
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def flush_redis(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def delete_streams(nats_url: str, prefix: str) -> None:
    """The event log's streams under ``prefix``, deleted."""
    broker = NATS()
    await broker.connect(nats_url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        # The event log only needs its engine to publish through the outbox: never here.
        await NatsEventLog(broker, cast(AsyncEngine, None), prefix).delete_streams()
    finally:
        await broker.close()
