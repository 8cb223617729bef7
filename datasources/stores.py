"""Connections to the stores, opened once per process and shared by every request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from datasources.breakers import StoreBreaker
from datasources.catalog_snapshot import CatalogSnapshots
from datasources.events import Broker, EventLog
from datasources.events.sealing import PayloadSealer
from datasources.experiments import RunningExperiments
from datasources.guarded_clients import guarded_engine, guarded_redis
from datasources.objects import ObjectStore, S3Config, S3ObjectStore
from datasources.viewing.postgres import PostgresViewingStore
from datasources.viewing.store import ViewingStore


@dataclass(frozen=True)
class StoreConfig:
    database_url: str
    redis_url: str
    nats_url: str = ""  # needed when event_log is nats
    viewing_store: str = "postgres"
    cassandra_hosts: tuple[str, ...] = ()
    cassandra_keyspace: str = "flix"
    events_prefix: str = ""
    event_log: Broker = "nats"
    kafka_bootstrap: str = ""  # host:port[,host:port]; needed when event_log is kafka
    # How long PostgreSQL and Redis may take to connect, or to answer one statement or
    # command: a stalled store fails the requests that need it within about this long
    # (UNAVAILABLE), instead of holding them for the outage.
    timeout_seconds: float = 2.0
    # How long a request may queue for a pooled PostgreSQL connection: a queue of our own
    # requests under load, not a sign of the store's health, so bounded by the request's
    # deadline rather than by the store's timeout.
    pool_wait_seconds: float = 10.0
    # The object store (archives, backups, media); None when FLIX_S3_BUCKET is not set.
    s3: S3Config | None = None
    # A streaming replica of the database that catalog reads go to (a secondary region's,
    # `flix regions up`); None reads the catalog from database_url. Writes never go there.
    catalog_database_url: str | None = None


@dataclass(frozen=True)
class Stores:
    engine: AsyncEngine
    # The same pool in autocommit: a read is one round trip, with no BEGIN and ROLLBACK.
    reads: AsyncEngine
    redis: Redis
    events: EventLog
    viewing: ViewingStore
    catalog: CatalogSnapshots
    experiments: RunningExperiments
    objects: ObjectStore | None = None  # absent when S3 is not configured
    # Where the catalog (the snapshot, the title loaders) is read: the replica's pool in
    # autocommit when there is one, else ``reads``.
    catalog_reads: AsyncEngine | None = None
    catalog_replica: AsyncEngine | None = None  # the replica's own engine, when configured

    @property
    def catalog_engine(self) -> AsyncEngine:
        return self.catalog_reads or self.reads


async def open_viewing_store(
    engine: AsyncEngine, kind: str, cassandra_hosts: Sequence[str] = (), keyspace: str = "flix"
) -> ViewingStore:
    """The configured ViewingStore; also for tools that need no other store (``flix train``)."""
    if kind == "cassandra":
        from datasources.viewing.cassandra import CassandraViewingStore  # optional at scale

        return await CassandraViewingStore.connect(cassandra_hosts, keyspace)
    return PostgresViewingStore(engine)


async def _viewing_store(config: StoreConfig, engine: AsyncEngine) -> ViewingStore:
    return await open_viewing_store(
        engine, config.viewing_store, config.cassandra_hosts, config.cassandra_keyspace
    )


async def connect_event_log(config: StoreConfig, engine: AsyncEngine) -> EventLog:
    """The event log on the broker the config names (the adapter is imported only then),
    sealing personal fields under their person's key (crypto-shredding)."""
    sealer = PayloadSealer(engine)
    if config.event_log == "kafka":
        from datasources.events.kafka import KafkaEventLog

        return KafkaEventLog(config.kafka_bootstrap, engine, config.events_prefix, sealer)
    from datasources.events.nats import NatsEventLog

    return await NatsEventLog.connect(config.nats_url, engine, config.events_prefix, sealer)


@asynccontextmanager
async def open_stores(config: StoreConfig) -> AsyncIterator[Stores]:
    timeout = config.timeout_seconds
    engine = guarded_engine(
        create_async_engine(
            config.database_url,
            # Kept open: as many as a worker's requests in flight under load (16 in the
            # benches), since a connection past the pool's size is closed when handed back
            # and the next burst pays its connect and statement preparation again. The burst
            # room keeps three processes (two web workers and `flix worker`) within
            # PostgreSQL's default 100 connections.
            pool_size=16,
            max_overflow=8,
            # No ping before each checkout (a round trip per request): a connection that died
            # with its server fails its statement, and that error invalidates the whole pool,
            # so one request per outage sees it.
            pool_pre_ping=False,
            pool_timeout=config.pool_wait_seconds,
            # Half the store's timeout for the connect and half for a statement: a request
            # that must connect (the pool is emptied by the first outage seen) and then
            # stalls on its statement still answers within the timeout. A statement that
            # times out is dropped with its connection (guarded_clients), not waited on.
            connect_args={"timeout": timeout / 2, "command_timeout": timeout / 2},
        ),
        StoreBreaker("postgres"),
    )
    redis = guarded_redis(
        config.redis_url,
        StoreBreaker("redis"),
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )
    replica = _replica_engine(config)
    catalog_reads = replica.execution_options(isolation_level="AUTOCOMMIT") if replica else None
    events = await connect_event_log(config, engine)
    viewing = await _viewing_store(config, engine)
    try:
        yield Stores(
            engine=engine,
            reads=engine.execution_options(isolation_level="AUTOCOMMIT"),
            redis=redis,
            events=events,
            viewing=viewing,
            catalog=CatalogSnapshots(catalog_reads or engine, redis),
            experiments=RunningExperiments(engine),
            # No connection to open: obstore connects on the first request.
            objects=open_object_store(config.s3),
            catalog_reads=catalog_reads,
            catalog_replica=replica,
        )
    finally:
        await viewing.close()
        await events.close()
        await redis.aclose()
        await engine.dispose()
        if replica is not None:
            await replica.dispose()


def _replica_engine(config: StoreConfig) -> AsyncEngine | None:
    """The catalog replica's pool: smaller than the primary's (reads of titles only), with
    the same timeouts, so a stalled replica fails its reads instead of holding them."""
    if not config.catalog_database_url:
        return None
    timeout = config.timeout_seconds
    return guarded_engine(
        create_async_engine(
            config.catalog_database_url,
            pool_size=5,
            max_overflow=5,
            pool_pre_ping=False,
            pool_timeout=config.pool_wait_seconds,
            connect_args={"timeout": timeout / 2, "command_timeout": timeout / 2},
        ),
        StoreBreaker("postgres"),
    )


def open_object_store(config: S3Config | None) -> ObjectStore | None:
    """The configured object store, or None; also for tools that need only it."""
    return S3ObjectStore(config) if config is not None else None


async def _postgres_ready(stores: Stores) -> bool:
    async with stores.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return True


async def _replica_ready(stores: Stores) -> bool:
    assert stores.catalog_replica is not None
    async with stores.catalog_replica.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return True


async def _redis_ready(stores: Stores) -> bool:
    return bool(await stores.redis.ping())


async def _broker_ready(stores: Stores) -> bool:
    return await stores.events.ready()


async def _s3_ready(stores: Stores) -> bool:
    return stores.objects is not None and await stores.objects.ready()


_CHECK_SECONDS = 3.0
_CHECKS = {"postgres": _postgres_ready, "redis": _redis_ready}


async def check_ready(stores: Stores) -> dict[str, bool]:
    """Whether each store answers right now (in parallel, each bounded); /readyz reports it."""

    async def probe(check: Callable[[Stores], Awaitable[bool]]) -> bool:
        try:
            return await asyncio.wait_for(check(stores), _CHECK_SECONDS)
        except Exception:
            return False

    # The broker's check is named after the broker in use ("nats" or "kafka").
    checks = {**_CHECKS, stores.events.broker: _broker_ready}
    if stores.objects is not None:  # S3 is reported only where it is configured
        checks["s3"] = _s3_ready
    if stores.catalog_replica is not None:  # a region reading its catalog from a replica
        checks["catalog_replica"] = _replica_ready
    results = await asyncio.gather(*(probe(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))
