"""Cached pages: the five-minute page and the profile's last good one, in Redis.

A cache is never a reason to fail: an outage reads as a miss and skips the write, and a
page that no longer decodes (an older format, a kind since retired) is a miss too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from uuid import UUID

import structlog
from redis.asyncio import Redis

from core.records import Video
from datasources.personalization import homepage_cache
from personalization.homepage.model import Row, RowKind

LAST_GOOD_TTL_SECONDS = 24 * 3600
log = structlog.get_logger("flix.homepage")


def encode(rows: list[Row]) -> str:
    return json.dumps(
        [
            {"id": row.id, "kind": row.kind, "title": row.title, "items": [v.id for v in row.items]}
            for row in rows
        ]
    )


def decode(page: str, allowed: Mapping[int, Video]) -> list[Row] | None:
    """A cached page, re-checked against today's catalogue and the profile's maturity;
    None when it does not decode."""
    try:
        rows = []
        for row in json.loads(page):
            items = [allowed[vid] for vid in row["items"] if vid in allowed]
            if items:
                rows.append(Row(str(row["id"]), RowKind(row["kind"]), str(row["title"]), items))
        return rows
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        log.warning("cached homepage does not decode; a miss", error=repr(error))
        return None


def last_good_key(profile_id: UUID, shape: str) -> str:
    return f"homepage:last:{profile_id}:{shape}"


async def page_key(redis: Redis, profile_id: UUID, shape: str) -> str | None:
    try:
        return await homepage_cache.page_key(redis, profile_id, shape)
    except Exception as error:
        log.warning("homepage cache unavailable", error=repr(error))
        return None


async def page_version(redis: Redis, profile_id: UUID) -> str | None:
    """The profile's page version; None when the cache cannot say (nothing is cached then)."""
    try:
        return await homepage_cache.version(redis, profile_id)
    except Exception as error:
        log.warning("homepage cache unavailable", error=repr(error))
        return None


async def read(redis: Redis, key: str, allowed: Mapping[int, Video]) -> list[Row] | None:
    try:
        page = await homepage_cache.get(redis, key)
    except Exception as error:
        log.warning("homepage cache unavailable", error=repr(error))
        return None
    return decode(page, allowed) if page else None


async def remember(redis: Redis, page_key: str, last_good_key: str, rows: list[Row]) -> None:
    page = encode(rows)
    try:
        await homepage_cache.put(redis, page_key, page)
        await redis.set(last_good_key, page, ex=LAST_GOOD_TTL_SECONDS)
    except Exception as error:
        log.warning("homepage cache unavailable", error=repr(error))


async def forget(redis: Redis, profile_id: UUID) -> None:
    """A changed signal retires the profile's cached pages; a cache outage is not fatal."""
    try:
        await homepage_cache.invalidate(redis, profile_id)
    except Exception as error:  # the cached page then simply lives out its five minutes
        log.warning("homepage cache invalidation failed", error=repr(error))
