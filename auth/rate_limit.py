"""Sliding-window rate limits in Redis (a sorted set of attempt times per key)."""

from __future__ import annotations

import math
import secrets
import time

from redis.asyncio import Redis


class RateLimiter:
    def __init__(self, redis: Redis, *, name: str, limit: int, window_seconds: int) -> None:
        self._redis = redis
        self._name = name
        self._limit = limit
        self._window = window_seconds

    async def hit(self, subject: str) -> int:
        """Count one attempt; 0 when it is allowed, else the seconds until one will be."""
        key = f"ratelimit:{self._name}:{subject}"
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, 0, now - self._window)
            pipe.zadd(key, {f"{now}:{secrets.token_hex(4)}": now})
            pipe.zcard(key)
            pipe.zrange(key, 0, 0, withscores=True)
            pipe.expire(key, self._window)
            _, _, count, oldest, _ = await pipe.execute()
        if count <= self._limit:
            return 0
        oldest_at: float = oldest[0][1]
        return max(1, math.ceil(oldest_at + self._window - now))
