"""Reading a page's facts from the stores: the trending chart, and the profile's history,
list, thumbs and taste.

A fixed number of reads whatever the page's shape: the statement count of a homepage does
not grow with its rows or items.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from uuid import UUID
from weakref import WeakKeyDictionary

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import Video
from core.viewing_records import TitleStateKind
from datasources.personalization import signals, trending
from datasources.viewing.store import ViewingStore
from personalization.homepage.facts import ViewerFacts, worth_recommending
from personalization.homepage.personalizer import Personalizer

HISTORY_DEPTH = 200
LIST_DEPTH = 100
CHART_DEPTH = 200
SIMILAR_SEEDS = 3  # the latest titles started each get a "Because You Watched" row
SIMILAR_DEPTH = 60
log = structlog.get_logger("flix.homepage")


@dataclass(frozen=True)
class Stores:
    engine: AsyncEngine
    redis: Redis
    viewing: ViewingStore
    personalizer: Personalizer


# The chart is the same for every page of a country, and reading it (two sorted sets of 800
# scored members, merged) was a twelfth of a cold page's CPU; a page is cached for minutes
# with the chart it was built from, so a chart some seconds old changes nothing a viewer sees.
CHART_SECONDS = 5.0
_charts: WeakKeyDictionary[Redis, dict[str, tuple[float, list[int]]]] = WeakKeyDictionary()


async def chart(redis: Redis, country: str) -> list[int]:
    """The country's trending chart, read at most once per CHART_SECONDS per process."""
    charts = _charts.setdefault(redis, {})
    found = charts.get(country)
    if found is not None and time.monotonic() < found[0]:
        return found[1]
    try:
        ids = await trending.top(redis, country, CHART_DEPTH)
    except Exception as error:  # Redis away: the chart falls back to all-time popularity
        log.warning("trending unavailable", error=repr(error))
        return []
    charts[country] = (time.monotonic() + CHART_SECONDS, ids)
    return ids


async def viewer_facts(
    stores: Stores, profile_id: UUID, maturity_level: int, allowed: Mapping[int, Video]
) -> ViewerFacts:
    recent = await stores.viewing.recent_titles(profile_id, HISTORY_DEPTH)
    listed = await signals.list_page(
        stores.engine, profile_id, max_maturity=maturity_level, offset=0, limit=LIST_DEPTH
    )
    thumbs = await signals.profile_ratings(stores.engine, profile_id)
    score = await stores.personalizer.scorer(profile_id, allowed)
    watching = [
        t.video_id for t in recent if t.state is TitleStateKind.IN_PROGRESS and not t.hidden
    ]
    started = [t.video_id for t in recent if t.state is not TitleStateKind.NOT_STARTED]
    finished = frozenset(t.video_id for t in recent if t.state is TitleStateKind.COMPLETED)
    viewer = ViewerFacts(watching, started, finished, listed.items, thumbs, score)
    fresh = worth_recommending(allowed, viewer)
    seeds = [allowed[vid] for vid in started if vid in allowed][:SIMILAR_SEEDS]
    # Asked among every allowed title, then the viewer's finished and disliked left out: that
    # order is the same for every profile at this maturity, so the personalizer keeps it.
    similar = {
        seed.id: [
            vid
            for vid in await stores.personalizer.similar(seed, allowed, len(allowed))
            if vid in fresh
        ][:SIMILAR_DEPTH]
        for seed in seeds
    }
    return replace(viewer, similar=similar)
