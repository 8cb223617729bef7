"""A circuit breaker per store (pybreaker): a store that keeps failing is not waited on.

Without one, every request that needs a stalled store waits out the store's timeout
(``StoreConfig.timeout_seconds``) before it answers UNAVAILABLE, and piles more waiters on a
server that is already in trouble. After ``FAIL_MAX`` outages in a row (``datasources.outages``
decides what is one: a refused, dropped or timed-out call, never a bad query) the breaker
opens: calls fail at once with ``CircuitBreakerError``, itself an outage, so requests still
answer UNAVAILABLE, now in microseconds. After ``RESET_SECONDS`` calls are let through again
(half-open); the first success closes the breaker, a failure opens it for another period.

One breaker per store and process, shared by every request: ``circuit_breaker_state``,
``circuit_breaker_failures_total`` and ``circuit_breaker_successes_total`` (labelled by
store) show them on /metrics.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Literal

import pybreaker
import sqlalchemy.exc
from prometheus_client import Counter, Gauge

from datasources.outages import is_outage

StoreName = Literal["postgres", "redis"]

FAIL_MAX = 5
# Short: a store back from a restart is asked again within a second (a trial call against a
# store still stalled costs one statement timeout), not left unasked for long after.
RESET_SECONDS = 1.0

_STATES = {pybreaker.STATE_CLOSED: 0, pybreaker.STATE_HALF_OPEN: 1, pybreaker.STATE_OPEN: 2}
STATE = Gauge(
    "circuit_breaker_state",
    "Each store's circuit breaker: 0 closed, 1 half-open, 2 open.",
    ["store"],
    multiprocess_mode="max",
)
FAILURES = Counter("circuit_breaker_failures", "Store calls that failed with an outage.", ["store"])
SUCCESSES = Counter("circuit_breaker_successes", "Store calls the breaker saw succeed.", ["store"])


class _Metrics(pybreaker.CircuitBreakerListener):
    def __init__(self, store: StoreName) -> None:
        self._store = store
        STATE.labels(store).set(0)

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        STATE.labels(self._store).set(_STATES[new_state.name])

    def failure(self, cb: Any, exc: BaseException) -> None:
        FAILURES.labels(self._store).inc()

    def success(self, cb: Any) -> None:
        SUCCESSES.labels(self._store).inc()


def _not_an_outage(error: BaseException) -> bool:
    # Waiting too long for a pooled connection is a queue of our own requests under load:
    # counting it would open the breaker on a busy server whose database is fine.
    return not is_outage(error) or isinstance(error, sqlalchemy.exc.TimeoutError)


class StoreBreaker:
    """One store's breaker, for the stores of one process (``open_stores``): an app built
    in a test has breakers of its own, so one test's stalled store trips nobody else's."""

    def __init__(self, store: StoreName) -> None:
        self.store = store
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=FAIL_MAX,
            reset_timeout=RESET_SECONDS,
            # A query the store refused (a constraint, bad syntax) says nothing of its health.
            exclude=[_not_an_outage],
            listeners=[_Metrics(store)],
            name=store,
        )

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Run the block (one call to the store) under the breaker."""
        with self._breaker.calling():
            yield

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        return str(self._breaker.current_state)
