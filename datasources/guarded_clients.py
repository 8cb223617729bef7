"""The PostgreSQL engine and the Redis client every request uses, each call under its
store's circuit breaker (``datasources.breakers``).

They are the library's own classes with one override where a round trip starts, so the
datasources keep their usual types (``AsyncEngine``, ``Redis``) and know nothing of breakers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast

import asyncpg
import pybreaker
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from datasources.breakers import StoreBreaker


class GuardedConnection(AsyncConnection):
    @property
    def _breaker(self) -> StoreBreaker:
        engine = self.engine
        assert isinstance(engine, GuardedEngine)
        return engine.breaker

    async def start(self, is_ctxmanager: bool = False) -> AsyncConnection:
        with self._breaker.guard():  # a stalled server stalls the connect too
            return await super().start(is_ctxmanager)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        # scalar() and scalars() go through here as well.
        with self._breaker.guard():
            return await super().execute(*args, **kwargs)


class GuardedEngine(AsyncEngine):
    _connection_cls = GuardedConnection

    def __init__(self, sync_engine: Engine, breaker: StoreBreaker) -> None:
        super().__init__(sync_engine)
        self.breaker = breaker

    def execution_options(self, **options: Any) -> GuardedEngine:
        # AsyncEngine's own builds a plain AsyncEngine: keep the guard on derived engines.
        return GuardedEngine(self.sync_engine.execution_options(**options), self.breaker)


def guarded_engine(engine: AsyncEngine, breaker: StoreBreaker) -> GuardedEngine:
    """The same engine (its pool, its options) with every connection guarded, and a
    connection whose statement timed out dropped rather than reused."""
    event.listen(engine.sync_engine, "handle_error", _drop_unusable)
    return GuardedEngine(engine.sync_engine, breaker)


def _drop_unusable(context: ExceptionContext) -> None:
    # A timed-out statement: the server may still be running it, or be stalled, and
    # resetting the connection on its way back to the pool (a ROLLBACK) would wait out
    # another timeout before the request could answer. asyncpg's InternalClientError: the
    # connection's protocol state is broken (seen after PostgreSQL restarted under a
    # statement), and every later use of it would fail the same way. Treated as a
    # disconnect, either is closed at once instead of going back to the pool.
    error = context.original_exception
    if isinstance(error, TimeoutError):
        context.is_disconnect = True
        # Closed here and now: SQLAlchemy's own close of an invalidated connection is a
        # graceful one that first waits for asyncpg's cancel request, which on a stalled
        # server takes as long as the statement did.
        _abort(context)
    elif isinstance(error.__cause__, _BROKEN_PROTOCOL):
        context.is_disconnect = True


def _abort(context: ExceptionContext) -> None:
    pooled = context.connection.connection if context.connection is not None else None
    driver = getattr(pooled, "driver_connection", None)
    if isinstance(driver, asyncpg.Connection):
        driver.terminate()


# Raised by asyncpg, seen here through SQLAlchemy's adapted exception that it caused.
_BROKEN_PROTOCOL = asyncpg.exceptions.InternalClientError


@contextlib.contextmanager
def _redis_guard(breaker: StoreBreaker) -> Iterator[None]:
    """The breaker, its refusals raised as the client's own outage error: callers that ride
    out a Redis outage (sessions, the rate limiter failing open) already catch that one."""
    try:
        with breaker.guard():
            yield
    except pybreaker.CircuitBreakerError as error:
        raise RedisConnectionError(f"Redis is failing: {error}") from error


class _GuardedPipeline(Pipeline):
    breaker: StoreBreaker

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        with _redis_guard(self.breaker):
            return await super().execute(raise_on_error)


class GuardedRedis(Redis):
    breaker: StoreBreaker  # set by guarded_redis

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        # Scripts (evalsha) come through here as well.
        with _redis_guard(self.breaker):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        pipeline = _GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
        pipeline.breaker = self.breaker
        return pipeline


def guarded_redis(url: str, breaker: StoreBreaker, **options: Any) -> GuardedRedis:
    redis = cast(GuardedRedis, GuardedRedis.from_url(url, **options))  # from_url builds cls
    redis.breaker = breaker
    return redis
