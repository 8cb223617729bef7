"""Server-side sessions in Redis: ``session:<token>`` holds the account and active profile."""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

# 16 random bytes (128 bits) as URL-safe base64: 22 characters.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class Session:
    token: str
    account_id: UUID
    profile_id: UUID | None


def _key(token: str) -> str:
    return f"session:{token}"


class RecentSessions:
    """Sessions this process validated lately, trusted for a minute if Redis is unreachable.

    Without it, a Redis outage would sign everyone out; with it, only sessions not seen in
    the last minute are refused (and a logout elsewhere takes up to a minute to reach here
    during such an outage).
    """

    def __init__(self, grace_seconds: float = 60.0, size: int = 10_000) -> None:
        self._grace = grace_seconds
        self._size = size
        self._seen: OrderedDict[str, tuple[Session, float]] = OrderedDict()

    def remember(self, session: Session) -> None:
        self._seen[session.token] = (session, time.monotonic())
        self._seen.move_to_end(session.token)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def recall(self, token: str) -> Session | None:
        found = self._seen.get(token)
        if found is None or time.monotonic() - found[1] > self._grace:
            return None
        return found[0]

    def forget(self, token: str) -> None:
        self._seen.pop(token, None)


class SessionStore:
    def __init__(
        self, redis: Redis, ttl_seconds: int, recent: RecentSessions | None = None
    ) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._recent = recent or RecentSessions()

    async def create(self, account_id: UUID) -> Session:
        """A brand-new token on every sign-in, so a token seen before sign-in is worthless."""
        token = secrets.token_urlsafe(16)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(_key(token), mapping={"account_id": str(account_id), "profile_id": ""})
            pipe.expire(_key(token), self._ttl)
            await pipe.execute()
        return Session(token, account_id, None)

    async def get(self, token: str) -> Session | None:
        """The session, its expiry pushed back (sliding); None for unknown or malformed tokens."""
        if not _TOKEN.match(token):
            return None
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(_key(token))
                pipe.expire(_key(token), self._ttl)  # no-op when absent; XX needs Redis 7
                fields, _ = await pipe.execute()
        except RedisError:
            if (recalled := self._recent.recall(token)) is not None:
                return recalled
            raise
        if not fields:
            self._recent.forget(token)
            return None
        profile = fields.get("profile_id") or None
        session = Session(token, UUID(fields["account_id"]), UUID(profile) if profile else None)
        self._recent.remember(session)
        return session

    async def select_profile(self, session: Session, profile_id: UUID | None) -> Session:
        # XX semantics by hand: never resurrect a session that was deleted meanwhile.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.exists(_key(session.token))
            pipe.hset(_key(session.token), "profile_id", str(profile_id or ""))
            pipe.expire(_key(session.token), self._ttl)
            existed, _, _ = await pipe.execute()
        if not existed:
            await self._redis.delete(_key(session.token))
        chosen = Session(session.token, session.account_id, profile_id)
        self._recent.remember(chosen)
        return chosen

    async def delete(self, token: str) -> None:
        self._recent.forget(token)
        await self._redis.delete(_key(token))
