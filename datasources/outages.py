"""What a store outage looks like from here: the store refused the connection, dropped it,
or did not answer within its timeout (``StoreConfig.timeout_seconds``).

The HTTP layer answers such failures ``UNAVAILABLE`` (retry later) rather than masking them
as ``INTERNAL``: nothing is wrong with the request or the code, a store is away.
"""

from __future__ import annotations

import asyncpg
import pybreaker
import redis.exceptions
import sqlalchemy.exc

_OUTAGES: tuple[type[BaseException], ...] = (
    TimeoutError,  # asyncpg's command and connect timeouts, the pool's wait
    ConnectionError,  # refused or reset at the socket
    pybreaker.CircuitBreakerError,  # the store failed often enough lately not to be asked
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.InterfaceError,
    # A connection left mid-operation by a restart; dropped from the pool (guarded_clients).
    asyncpg.exceptions.InternalClientError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.OperationalError,
)


def is_outage(error: BaseException) -> bool:
    """Whether ``error``, or what it was raised from, is a store being away."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _OUTAGES):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
