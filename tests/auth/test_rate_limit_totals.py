"""A window's use is kept as a running total beside its requests (auth/rate_limit.py): it
must say what summing the requests would, as they enter and as they leave the window, and
a window written before totals were kept is summed once."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from auth.rate_limit import Take, Window, take, take_all

ONE_SECOND = Window("test-totals", 10, 1)
KEY = "ratelimit:test-totals:1s:account:t"


async def test_weight_that_leaves_the_window_is_given_back(clean_redis: str) -> None:
    redis = Redis.from_url(clean_redis, decode_responses=True)
    try:
        first = await take(redis, [ONE_SECOND], "account:t", 6)
        assert first.admitted and first.windows[0].remaining == 4
        assert not (await take(redis, [ONE_SECOND], "account:t", 5)).admitted
        await asyncio.sleep(0.6)
        second = await take(redis, [ONE_SECOND], "account:t", 3)
        assert second.admitted and second.windows[0].remaining == 1
        await asyncio.sleep(0.5)  # the first take has left; the second has not
        third = await take(redis, [ONE_SECOND], "account:t", 7)
        assert third.admitted and third.windows[0].remaining == 0
        assert await redis.get(f"{KEY}:total") == "10"
    finally:
        await redis.aclose()


async def test_a_window_without_a_total_is_summed_once(clean_redis: str) -> None:
    redis = Redis.from_url(clean_redis, decode_responses=True)
    try:
        # As an earlier version of the script left it: requests, and no total beside them.
        now_ms = int(time.time() * 1000)
        await redis.zadd(KEY, {f"{now_ms}:4:old:1:1": now_ms, f"{now_ms}:2:old:1:2": now_ms})
        await redis.pexpire(KEY, 1000)
        (decision,) = await take_all(redis, [Take([ONE_SECOND], "account:t", 3)])
        assert decision is not None and decision.admitted
        assert decision.windows[0].remaining == 1
        assert await redis.get(f"{KEY}:total") == "9"
    finally:
        await redis.aclose()


async def test_the_total_goes_with_its_window(clean_redis: str) -> None:
    redis = Redis.from_url(clean_redis, decode_responses=True)
    try:
        await take(redis, [ONE_SECOND], "account:t", 10)
        assert 0 < await redis.pttl(f"{KEY}:total") <= 1000
        await redis.delete(KEY)  # the requests expired first: the total must not outlive them
        decision = await take(redis, [ONE_SECOND], "account:t", 10)
        assert decision.admitted and decision.windows[0].remaining == 0
    finally:
        await redis.aclose()
