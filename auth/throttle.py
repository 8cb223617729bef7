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

from auth.rate_limit import Decision, Take, Window, take, take_all
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
        # Root fields whose request was counted with the document's cost (charge_document),
        # by response key: their own take is then that decision, with no round trip.
        self._charged: dict[str, tuple[Category, Decision]] = {}

    async def charge_document(self, cost: int, fields: Sequence[tuple[str, Category]]) -> None:
        """Charge a document's cost, then count each root field (response key, category), in
        one round trip. Raises ``RateLimited`` when the cost does not fit; a field's refusal
        is its own to raise (``take``), as the field runs. If Redis cannot be asked, the
        cost fails open and each field is counted as it runs, failing open or closed."""
        takes = [Take([self._cost_window], self.subject, cost)] if cost > 0 else []
        fields = list(dict(fields).items())  # one per response key: GraphQL merges the rest
        takes += [Take(self._policies[category].windows, self.subject) for _, category in fields]
        if not takes:
            return
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                decisions = await take_all(self._redis, takes)
        except (RedisError, OSError, TimeoutError) as error:
            if cost > 0:
                self._unavailable(QUERY_COST_POLICY, fails_closed=False, error=error)
            return
        if cost > 0:
            cost_decision = decisions.pop(0)
            assert cost_decision is not None  # the first take is always tried
            self._decided(QUERY_COST_POLICY, cost_decision)
            self._refuse_cost(cost, cost_decision)
        for (key, category), decision in zip(fields, decisions, strict=True):
            if decision is not None:
                self._decided(self._policies[category].name, decision)
                self._charged[key] = (category, decision)

    async def take(
        self, category: Category, *, subject: str | None = None, field_key: str | None = None
    ) -> None:
        """Count one request of ``category``; ``subject`` counts it against someone other
        than the request's own (sign-in counts per email too); ``field_key`` names the root
        field asking, which ``charge_document`` may have counted already. Raises
        ``RateLimited``."""
        charged = self._charged.pop(field_key, None) if field_key and not subject else None
        if charged is not None and charged[0] == category:
            decision: Decision | None = charged[1]
        else:
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
        if decision is not None:
            self._refuse_cost(cost, decision)

    def _refuse_cost(self, cost: int, decision: Decision) -> None:
        if not decision.admitted:
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
            self._unavailable(name, fails_closed=fails_closed, error=error)
            return None
        self._decided(name, decision)
        return decision

    def _decided(self, name: str, decision: Decision) -> None:
        DECISIONS.labels(name, "allowed" if decision.admitted else "limited").inc()
        self.decisions.append(decision)

    def _unavailable(self, name: str, *, fails_closed: bool, error: BaseException) -> None:
        outcome = "failed_closed" if fails_closed else "failed_open"
        DECISIONS.labels(name, outcome).inc()
        log.warning("rate limiter unavailable", policy=name, outcome=outcome, error=repr(error))
        if fails_closed:
            message = "The rate limiter is unreachable, so this is refused for now. Retry soon."
            raise Unavailable(message) from None
