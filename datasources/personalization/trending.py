"""Trending: time-decayed view counts per country in Redis sorted sets.

Forward decay: a view at time t adds 2^((t - epoch) / half-life), so comparing scores is
comparing counts where a view loses half its weight every half-life, and nothing ever
needs rewriting. Scores would overflow after years, so the epoch moves every 30 days to a
new key; reads blend the previous epoch's key in, at its weight relative to the new one.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from core.known_markers import KnownMarkers
from core.viewing_records import STARTED_FROM

HALF_LIFE = timedelta(hours=24)
EPOCH_LENGTH = timedelta(days=30)
KEY_TTL = 2 * EPOCH_LENGTH
ONE_VIEW_PER = timedelta(days=1)  # a profile counts once per title per day
GLOBAL = "global"
# Below this many titles with views, a country's chart is noise: show the global one.
MIN_TITLES_FOR_COUNTRY = 20
_ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


def _epoch(at: datetime) -> int:
    return math.floor((at - _ORIGIN) / EPOCH_LENGTH)


def _weight(at: datetime) -> float:
    since_epoch = at - (_ORIGIN + _epoch(at) * EPOCH_LENGTH)
    return float(2 ** (since_epoch / HALF_LIFE))


def _key(epoch: int, region: str) -> str:
    return f"trending:{epoch}:{region}"


async def record_view(
    redis: Redis,
    *,
    profile_id: UUID,
    video_id: int,
    country: str,
    at: datetime,
    known: KnownMarkers | None = None,
) -> bool:
    """Count a view; False when this profile's view of the title today was counted already
    (``known``: the markers this process saw set, so a title's every later heartbeat that
    day costs no round trip)."""
    day = math.floor((at - _ORIGIN) / ONE_VIEW_PER)
    seen = f"trending:seen:{day}:{profile_id}:{video_id}"
    if known is not None and seen in known:
        return False
    counted = await redis.set(seen, 1, nx=True, ex=int(2 * ONE_VIEW_PER.total_seconds()))
    if known is not None:
        known.add(seen)
    if not counted:
        return False
    epoch, weight = _epoch(at), _weight(at)
    async with redis.pipeline(transaction=True) as pipe:
        for region in (country.upper(), GLOBAL):
            pipe.zincrby(_key(epoch, region), weight, str(video_id))
            pipe.expire(_key(epoch, region), int(KEY_TTL.total_seconds()))
        await pipe.execute()
    return True


async def _scores(redis: Redis, region: str, now: datetime, depth: int) -> dict[int, float]:
    epoch = _epoch(now)
    # The previous epoch's weights are relative to its own start, EPOCH_LENGTH earlier.
    carry = 2 ** -(EPOCH_LENGTH / HALF_LIFE)
    scores: dict[int, float] = {}
    for key, factor in ((_key(epoch, region), 1.0), (_key(epoch - 1, region), carry)):
        ranked: list[Any] = await redis.zrevrange(key, 0, depth - 1, withscores=True)
        for member, score in ranked:  # pairs, since withscores
            scores[int(member)] = scores.get(int(member), 0.0) + float(score) * factor
    return scores


async def top(redis: Redis, country: str, limit: int, now: datetime | None = None) -> list[int]:
    """Video ids trending in the country, hottest first; the global chart if it is thin."""
    now = now or datetime.now(UTC)
    depth = max(limit * 4, 200)
    scores = await _scores(redis, country.upper(), now, depth)
    if len(scores) < MIN_TITLES_FOR_COUNTRY:
        scores = await _scores(redis, GLOBAL, now, depth)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [video_id for video_id, _ in ranked[:limit]]


async def count_viewing_event(
    redis: Redis, payload: dict[str, Any], known: KnownMarkers | None = None
) -> None:
    """The VIEWING consumer's handler: a heartbeat past STARTED_FROM (5%) is a view."""
    # No profile_id: an erased profile's event (its key is gone). A view counts once per
    # profile and day, which it can no longer be checked against: its view was counted.
    if payload.get("kind") != "progress" or "profile_id" not in payload:
        return
    if payload["position_seconds"] < STARTED_FROM * payload["duration_seconds"]:
        return
    await record_view(
        redis,
        profile_id=UUID(payload["profile_id"]),
        video_id=int(payload["video_id"]),
        country=payload.get("country") or GLOBAL,
        at=datetime.fromisoformat(payload["client_timestamp"]),
        known=known,
    )
