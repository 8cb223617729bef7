"""Connections to the stores, opened once per process and shared by every request."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from datasources.catalog_snapshot import CatalogSnapshots
from datasources.events import EventLog
from datasources.experiments import RunningExperiments
from datasources.viewing.postgres import PostgresViewingStore
from datasources.viewing.store import ViewingStore


@dataclass(frozen=True)
class StoreConfig:
    database_url: str
    redis_url: str
    nats_url: str
    viewing_store: str = "postgres"
    cassandra_hosts: tuple[str, ...] = ()
    cassandra_keyspace: str = "flix"
    events_prefix: str = ""


@dataclass(frozen=True)
class Stores:
    engine: AsyncEngine
    redis: Redis
    nats: NATS
    events: EventLog
    viewing: ViewingStore
    catalog: CatalogSnapshots
    experiments: RunningExperiments


def _viewing_store(config: StoreConfig, engine: AsyncEngine) -> ViewingStore:
    if config.viewing_store == "cassandra":
        from datasources.viewing.cassandra import CassandraViewingStore  # optional at scale

        return CassandraViewingStore(config.cassandra_hosts, config.cassandra_keyspace)
    return PostgresViewingStore(engine)


@asynccontextmanager
async def open_stores(config: StoreConfig) -> AsyncIterator[Stores]:
    engine = create_async_engine(
        config.database_url, pool_size=10, max_overflow=10, pool_pre_ping=True
    )
    redis = Redis.from_url(config.redis_url, decode_responses=True)
    # Keep reconnecting for ever: a broker outage must not take the API down with it.
    broker = await nats.connect(
        config.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=1, connect_timeout=5
    )
    events = EventLog(broker, engine, config.events_prefix)
    viewing = _viewing_store(config, engine)
    try:
        yield Stores(
            engine=engine,
            redis=redis,
            nats=broker,
            events=events,
            viewing=viewing,
            catalog=CatalogSnapshots(engine),
            experiments=RunningExperiments(engine),
        )
    finally:
        await viewing.close()
        # Shutting down during a broker outage must still release everything else.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(broker.drain(), 5)
        await broker.close()
        await redis.aclose()
        await engine.dispose()


async def _postgres_ready(stores: Stores) -> bool:
    async with stores.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return True


async def _redis_ready(stores: Stores) -> bool:
    return bool(await stores.redis.ping())


async def _nats_ready(stores: Stores) -> bool:
    await stores.nats.flush(timeout=2)
    return bool(stores.nats.is_connected)


_CHECK_SECONDS = 3.0
_CHECKS = {"postgres": _postgres_ready, "redis": _redis_ready, "nats": _nats_ready}


async def check_ready(stores: Stores) -> dict[str, bool]:
    """Whether each store answers right now (in parallel, each bounded); /readyz reports it."""

    async def probe(check: Callable[[Stores], Awaitable[bool]]) -> bool:
        try:
            return await asyncio.wait_for(check(stores), _CHECK_SECONDS)
        except Exception:
            return False

    results = await asyncio.gather(*(probe(check) for check in _CHECKS.values()))
    return dict(zip(_CHECKS, results, strict=True))
