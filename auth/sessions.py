"""Server-side sessions in Redis: ``session:<token>`` holds the account and active profile."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis

# 16 random bytes (128 bits) as URL-safe base64: 22 characters.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class Session:
    token: str
    account_id: UUID
    profile_id: UUID | None


def _key(token: str) -> str:
    return f"session:{token}"


class SessionStore:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

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
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(_key(token))
            pipe.expire(_key(token), self._ttl)  # no-op when absent; XX needs Redis 7
            fields, _ = await pipe.execute()
        if not fields:
            return None
        profile = fields.get("profile_id") or None
        return Session(token, UUID(fields["account_id"]), UUID(profile) if profile else None)

    async def select_profile(self, session: Session, profile_id: UUID | None) -> Session:
        # XX semantics by hand: never resurrect a session that was deleted meanwhile.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.exists(_key(session.token))
            pipe.hset(_key(session.token), "profile_id", str(profile_id or ""))
            pipe.expire(_key(session.token), self._ttl)
            existed, _, _ = await pipe.execute()
        if not existed:
            await self._redis.delete(_key(session.token))
        return Session(session.token, session.account_id, profile_id)

    async def delete(self, token: str) -> None:
        await self._redis.delete(_key(token))
