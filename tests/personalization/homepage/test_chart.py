"""A page reads its country's trending chart from the process's copy, at most CHART_SECONDS
old (personalization/homepage/gather.py): every page of a country shares one read."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from datasources.personalization import trending
from personalization.homepage import gather


async def test_the_chart_is_read_once_per_window(
    clean_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gather, "CHART_SECONDS", 0.5)
    redis = Redis.from_url(clean_redis, decode_responses=True)

    async def view(video_id: int) -> None:
        await trending.record_view(
            redis, profile_id=uuid.uuid4(), video_id=video_id, country="US", at=datetime.now(UTC)
        )

    try:
        await view(7)
        assert await gather.chart(redis, "US") == [7]
        await view(8)
        await view(8)
        assert await gather.chart(redis, "US") == [7]  # the copy, not yet stale
        assert await gather.chart(redis, "FR") == [8, 7]  # a country of its own (global chart)
        await asyncio.sleep(0.6)
        assert await gather.chart(redis, "US") == [8, 7]
    finally:
        await redis.aclose()
