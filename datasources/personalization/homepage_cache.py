"""The homepage cache in Redis: a page per profile and shape, for five minutes.

Invalidation is by version: each profile has a counter that signals bump, and the counter
is part of every cached page's key, so one INCR retires all of a profile's pages at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from uuid import UUID
from weakref import WeakKeyDictionary

from redis.asyncio import Redis

from datasources.group_commit import GroupCommit

PAGE_TTL_SECONDS = 300
VERSION_TTL_SECONDS = 30 * 24 * 3600


def _version_key(profile_id: UUID) -> str:
    return f"homepage:version:{profile_id}"


async def version(redis: Redis, profile_id: UUID) -> str:
    """The profile's page version: every signal that changes its page bumps it."""
    return str(await redis.get(_version_key(profile_id)) or 0)


async def page_key(redis: Redis, profile_id: UUID, shape: str) -> str:
    return f"homepage:{profile_id}:{await version(redis, profile_id)}:{shape}"


async def get(redis: Redis, key: str) -> str | None:
    value = await redis.get(key)
    return str(value) if value is not None else None


async def put(redis: Redis, key: str, page: str) -> None:
    await redis.set(key, page, ex=PAGE_TTL_SECONDS)


async def invalidate(redis: Redis, profile_id: UUID) -> None:
    """Retire the profile's pages. Concurrent calls (a burst of heartbeats) share one
    pipeline: a group commit, as the heartbeats' own writes are."""
    batch = _batches.get(redis)
    if batch is None:
        batch = _batches[redis] = GroupCommit(partial(_invalidate_all, redis), window_seconds=0.001)
    await batch.submit(profile_id)


async def _invalidate_all(redis: Redis, profile_ids: Sequence[UUID]) -> list[None]:
    async with redis.pipeline(transaction=True) as pipe:
        for profile_id in dict.fromkeys(profile_ids):
            pipe.incr(_version_key(profile_id))
            pipe.expire(_version_key(profile_id), VERSION_TTL_SECONDS)
        await pipe.execute()
    return [None] * len(profile_ids)


# One batch per client: each app (and each test's) has its own Redis client and event loop.
_batches: WeakKeyDictionary[Redis, GroupCommit[UUID, None]] = WeakKeyDictionary()
