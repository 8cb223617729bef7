"""One request's rate limits: the categories' windows and the query-cost budget, keyed by
the request's account (its IP when signed out), failing open or closed when Redis is down.

Every decision is kept, so the answer can tell the client where it stands (the IETF
``RateLimit`` and ``RateLimit-Policy`` headers, ``server/rate_limit_headers.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import structlog
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.rate_limit import Decision, Window, take
from auth.rate_policies import FAILS_CLOSED, Category, Policy
from core.errors import RateLimited, Unavailable

log = structlog.get_logger("flix.ratelimit")

# Labels from closed sets: the policies' names (the table's, and query-cost) and these.
DECISIONS = Counter(
    "flix_rate_limit_decisions",
    "Rate-limit checks by policy and outcome (allowed, limited, failed_open, failed_closed).",
    ["policy", "outcome"],
)
QUERY_COST_POLICY = "query-cost"
# A limiter that cannot answer within this is as good as down: fail open or closed now
# rather than make every request wait on it.
REDIS_TIMEOUT_SECONDS = 1.0

_TOO_MANY = {
    Category.BROWSE: "Too many requests",
    Category.PLAYBACK_START: "Too many playback starts",
    Category.PROFILE_UPDATES: "Too many profile changes",
    Category.PROGRESS: "Too many progress reports",
    Category.ADMIN: "Too many administrative requests",
    Category.AUTH: "Too many sign-in attempts",
}


def request_subject(account_id: object | None, client_ip: str) -> str:
    """Whom a request's limits count against: its account, else its client's address."""
    return f"account:{account_id}" if account_id is not None else f"ip:{client_ip}"


class Throttle:
    def __init__(
        self,
        redis: Redis,
        policies: Mapping[Category, Policy],
        query_cost_per_minute: int,
        subject: str,
    ) -> None:
        self._redis = redis
        self._policies = policies
        self._cost_window = Window(QUERY_COST_POLICY, query_cost_per_minute, 60)
        self.subject = subject
        self.decisions: list[Decision] = []

    async def take(self, category: Category, *, subject: str | None = None) -> None:
        """Count one request of ``category``; ``subject`` counts it against someone other
        than the request's own (sign-in counts per email too). Raises ``RateLimited``."""
        policy = self._policies[category]
        decision = await self._take(
            policy.name, policy.windows, subject or self.subject, 1, category in FAILS_CLOSED
        )
        if decision is not None and not decision.admitted:
            seconds = decision.retry_after_seconds
            raise RateLimited(f"{_TOO_MANY[category]}. Try again in {seconds} seconds.", seconds)

    async def take_cost(self, cost: int) -> None:
        """Charge a document's query cost to the per-minute budget."""
        if cost <= 0:
            return
        decision = await self._take(QUERY_COST_POLICY, [self._cost_window], self.subject, cost)
        if decision is not None and not decision.admitted:
            seconds = decision.retry_after_seconds
            raise RateLimited(
                f"This document costs {cost} points, more than is left of the "
                f"{self._cost_window.quota} a minute allows. Try again in {seconds} seconds.",
                seconds,
            )

    async def _take(
        self,
        name: str,
        windows: Sequence[Window],
        subject: str,
        weight: int,
        fails_closed: bool = False,
    ) -> Decision | None:
        """The decision, or None when Redis could not be asked and the policy fails open."""
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                decision = await take(self._redis, windows, subject, weight)
        except (RedisError, OSError, TimeoutError) as error:
            outcome = "failed_closed" if fails_closed else "failed_open"
            DECISIONS.labels(name, outcome).inc()
            log.warning("rate limiter unavailable", policy=name, outcome=outcome, error=repr(error))
            if fails_closed:
                message = "The rate limiter is unreachable, so this is refused for now. Retry soon."
                raise Unavailable(message) from None
            return None
        DECISIONS.labels(name, "allowed" if decision.admitted else "limited").inc()
        self.decisions.append(decision)
        return decision
