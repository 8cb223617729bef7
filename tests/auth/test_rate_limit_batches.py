"""Requests asking the limiter at the same moment share one round trip, and stay each other's
strangers: a refusal stops the rest of its own request's takes only."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from auth.rate_limit import Take, Window, take_all, take_groups

PER_MINUTE = Window("test", 3, 60)
COST = Window("test-cost", 10, 60)


async def test_a_refused_request_does_not_stop_another_in_the_same_round_trip(
    clean_redis: str,
) -> None:
    redis = Redis.from_url(clean_redis, decode_responses=True)
    try:
        too_costly = [Take([COST], "account:a", 11), Take([PER_MINUTE], "account:a")]
        fits = [Take([COST], "account:b", 4), Take([PER_MINUTE], "account:b")]
        refused, admitted = await take_groups(redis, [too_costly, fits])
        assert refused[0] is not None and not refused[0].admitted
        assert refused[0].retry_after_seconds >= 1
        assert refused[1] is None  # not tried: its request's cost was refused
        assert [d is not None and d.admitted for d in admitted] == [True, True]
        assert admitted[0] is not None and admitted[0].windows[0].remaining == 6
    finally:
        await redis.aclose()


async def _script_calls(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def test_concurrent_requests_share_a_round_trip_counted_one_after_another(
    clean_redis: str,
) -> None:
    redis = Redis.from_url(clean_redis, decode_responses=True)
    try:
        await take_all(redis, [Take([PER_MINUTE], "account:warm-up")])  # the script is loaded
        before = await _script_calls(redis)
        asked = [take_all(redis, [Take([PER_MINUTE], "account:c")]) for _ in range(5)]
        decisions = [d for (d,) in await asyncio.gather(*asked)]
        assert await _script_calls(redis) == before + 1
        assert [d is not None and d.admitted for d in decisions] == [True] * 3 + [False] * 2
        remaining = [d.windows[0].remaining for d in decisions if d is not None]
        assert remaining == [2, 1, 0, 0, 0]
    finally:
        await redis.aclose()
