"""The revocation feed: every process hears of sign-outs and identity changes at once.

A process reuses the sessions it read for a couple of seconds (``auth.sessions``); this task
follows the Redis channel those changes are published on and drops what they make stale.
The cache is trusted only while the subscription stands: when the feed drops, nothing kept
is reused until it is back, and only sessions read after it came back are (a revocation
published while it was away was never heard).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.sessions import REVOCATIONS, RecentSessions

log = structlog.get_logger("flix.sessions")

# A listen that hears nothing this long returns, so a dead feed is noticed by the next one.
LISTEN_SECONDS = 1.0
RETRY_SECONDS = (0.1, 0.5, 2.0)  # after a failure: quickly once, then less often


async def _follow(redis: Redis, recent: RecentSessions) -> None:
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(REVOCATIONS)
        while True:
            message = await pubsub.get_message(timeout=LISTEN_SECONDS)
            # redis-py turns a cancellation that lands as the listen times out into a
            # timeout (None): without this check, shutting down could wait forever.
            if (task := asyncio.current_task()) is not None and task.cancelling():
                raise asyncio.CancelledError
            if message is None:
                continue
            if message["type"] == "subscribe":
                recent.feed_live(True)
            elif message["type"] == "message":
                recent.revoked(str(message["data"]))


async def _follow_forever(redis: Redis, recent: RecentSessions) -> None:
    failures = 0  # in a row, since the feed was last live
    while True:
        try:
            await _follow(redis, recent)
        except (RedisError, OSError) as error:
            if recent.live:
                failures = 0
                log.warning("revocation feed lost: sessions read every time", error=repr(error))
            recent.feed_live(False)
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1


@contextlib.asynccontextmanager
async def following_revocations(redis: Redis, recent: RecentSessions) -> AsyncIterator[None]:
    """Follow the feed for as long as the block runs."""
    task = asyncio.create_task(_follow_forever(redis, recent), name="session-revocations")
    try:
        yield
    finally:
        task.cancel()
        # Bounded all the same: a listen that swallowed the cancellation ends within one.
        await asyncio.wait([task], timeout=2 * LISTEN_SECONDS)
        recent.feed_live(False)
