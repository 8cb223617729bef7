"""Trending counts a profile's view of a title once a day; the consumer's memory of the
views it saw counted spares the round trip for the title's later heartbeats that day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from redis.asyncio import Redis

from core.known_markers import KnownMarkers
from datasources.personalization import trending


async def test_a_view_counts_once_a_day_and_a_known_one_does_not_ask_redis(
    clean_redis: str,
) -> None:
    redis = Redis.from_url(clean_redis)
    profile, now, known = uuid.uuid4(), datetime.now(UTC), KnownMarkers()
    try:

        async def view(known: KnownMarkers | None) -> bool:
            return await trending.record_view(
                redis, profile_id=profile, video_id=7, country="US", at=now, known=known
            )

        assert await view(known)  # the first view today counts
        assert not await view(None)  # Redis dedupes the second
        assert await trending.top(redis, "US", 5, now=now) == [7]
        # Redis forgets the marker (an eviction, say): only a caller that remembers it still
        # answers "counted" and asks nothing, which the unchanged chart shows.
        await redis.flushdb()
        assert not await view(known)
        assert await trending.top(redis, "US", 5, now=now) == []
        assert await view(None)
    finally:
        await redis.aclose()
