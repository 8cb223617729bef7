"""Lua scripts run by their SHA, and again after the server forgot them (a restart, a flush)."""

from __future__ import annotations

from redis.asyncio import Redis

from datasources.redis_scripts import script

_ECHO = "return {KEYS[1], ARGV[1]}"


async def test_a_script_runs_by_its_sha_and_again_once_redis_forgot_it(clean_redis: str) -> None:
    redis = Redis.from_url(clean_redis, decode_responses=True)
    try:
        echo = script(redis, _ECHO)
        assert script(redis, _ECHO) is echo  # made once per client and source
        assert await echo(keys=["k"], args=[1]) == ["k", "1"]
        await redis.script_flush()
        assert await echo(keys=["k"], args=["again"]) == ["k", "again"]
    finally:
        await redis.aclose()
