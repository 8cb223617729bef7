"""Redis commands asked for in the same event-loop turn go as one pipeline
(datasources/redis_batching.py), and each caller keeps its own answer and its own error."""

from __future__ import annotations

import asyncio
import time

from redis.exceptions import ResponseError

from datasources.breakers import StoreBreaker
from datasources.guarded_clients import GuardedRedis, guarded_redis


async def _reads(redis: GuardedRedis) -> int:
    """How many reads of client sockets the server has handled, the caller's own INFO's
    included (one each)."""
    return int((await redis.info("stats"))["total_reads_processed"])


async def test_commands_of_one_turn_cost_the_server_one_read(clean_redis: str) -> None:
    redis = guarded_redis(clean_redis, StoreBreaker("redis"), decode_responses=True)
    try:
        await redis.ping()  # the first connection is open
        before = await _reads(redis)
        await asyncio.gather(*(redis.set(f"k{n}", n) for n in range(10)))
        answers = await asyncio.gather(*(redis.get(f"k{n}") for n in range(10)))
        assert answers == [str(n) for n in range(10)]
        # Two batches and this INFO: 3 reads (alone, the twenty commands would have been 20).
        assert await _reads(redis) - before <= 4
    finally:
        await redis.aclose()


async def test_an_error_is_its_own_callers(clean_redis: str) -> None:
    redis = guarded_redis(clean_redis, StoreBreaker("redis"), decode_responses=True)
    try:
        await redis.hset("a-hash", "field", "x")
        await redis.set("a-string", "y")
        wrong, right = await asyncio.gather(
            redis.get("a-hash"), redis.get("a-string"), return_exceptions=True
        )
        assert isinstance(wrong, ResponseError) and "WRONGTYPE" in str(wrong)
        assert right == "y"
    finally:
        await redis.aclose()


async def test_a_blocking_command_goes_alone(clean_redis: str) -> None:
    redis = guarded_redis(clean_redis, StoreBreaker("redis"), decode_responses=True)
    try:
        await redis.set("ready", "yes")
        started = time.monotonic()
        blocked = asyncio.ensure_future(redis.blpop(["empty-list"], timeout=1))
        assert await redis.get("ready") == "yes"
        # Answered while the BLPOP still waits for its list (1 s): not queued behind it.
        assert not blocked.done() and time.monotonic() - started < 0.9
        assert await blocked is None
    finally:
        await redis.aclose()
