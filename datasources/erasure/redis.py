"""A person's keys in Redis: sessions (found by the account or profile they hold), and
every key whose name carries one of their ids or their email (rate-limit windows,
idempotency records, homepage pages, trending and exposure "seen" markers, profile-lock
attempts).

A scan of the whole keyspace (``SCAN``, in pages): an erasure is rare, and this way a key
added later by any feature is found as long as its name says whose it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from redis.asyncio import Redis

SESSION_PREFIX = "session:"
SCAN_PAGE = 1000


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


@dataclass
class PersonKeys:
    named: list[str] = field(default_factory=list)  # the key's name says whose it is
    sessions: list[str] = field(default_factory=list)  # a session of the account
    watching_as: list[str] = field(default_factory=list)  # another's session, on the profile

    def all(self) -> list[str]:
        return [*self.named, *self.sessions, *self.watching_as]


async def person_keys(redis: Redis, needles: Sequence[str]) -> PersonKeys:
    """Every key of the person, by what gives it away (``needles``: ids and email)."""
    lowered = [needle.lower() for needle in needles]
    found = PersonKeys()
    sessions: list[str] = []
    async for raw in redis.scan_iter(count=SCAN_PAGE):
        key = _text(raw)
        if any(needle in key.lower() for needle in lowered):
            found.named.append(key)
        elif key.startswith(SESSION_PREFIX):
            sessions.append(key)
    if sessions:
        async with redis.pipeline(transaction=False) as pipe:
            for key in sessions:
                pipe.hmget(key, ["account_id", "profile_id"])
            holders = await pipe.execute(raise_on_error=False)
        for key, held in zip(sessions, holders, strict=True):
            if not isinstance(held, list):
                continue  # not a session hash
            account, profile = (_text(value).lower() for value in held)
            if account and account in lowered:
                found.sessions.append(key)
            elif profile and profile in lowered:
                found.watching_as.append(key)
    return found


async def erase(redis: Redis, needles: Sequence[str]) -> int:
    """Delete the person's keys (signing out every session of their account); a session of
    the account that stays, watching as an erased profile, is left watching as no one.
    How many keys were touched."""
    found = await person_keys(redis, needles)
    doomed = [*found.named, *found.sessions]
    for start in range(0, len(doomed), SCAN_PAGE):
        await redis.delete(*doomed[start : start + SCAN_PAGE])
    for key in found.watching_as:
        await redis.hset(key, "profile_id", "")
    return len(doomed) + len(found.watching_as)
