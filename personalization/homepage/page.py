"""A profile's homepage: cached, personalized behind a circuit breaker, and always answered.

When personalization fails (or the breaker is open) the profile's last good page is served,
else a generic page of trending and popular titles: the front door never shows an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

import pybreaker
import structlog

from core.records import Video
from personalization.homepage import cache, gather, registry
from personalization.homepage.by_pool import ByPool
from personalization.homepage.compose import compose
from personalization.homepage.facts import PageFacts
from personalization.homepage.gather import Stores
from personalization.homepage.model import Row, RowKind, RowPlan
from personalization.homepage.ranked import POOLS_KEPT

log = structlog.get_logger("flix.homepage")

# Shared by the process: five failures in a row open it for thirty seconds.
breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30, name="personalization")


class PageSource(StrEnum):
    PERSONALIZED = "PERSONALIZED"
    CACHE = "CACHE"
    LAST_GOOD = "LAST_GOOD"
    GENERIC = "GENERIC"


@dataclass(frozen=True)
class Homepage:
    rows: list[Row]
    source: PageSource


@dataclass(frozen=True)
class PageRequest:
    """What the API layer gathers: whose page, its shape, and where its facts are read."""

    profile_id: UUID
    maturity_level: int
    country: str
    catalog: Mapping[int, Video]  # today's catalogue, every maturity level
    rows: int
    items_per_row: int
    order: tuple[RowKind, ...]  # an experiment may reorder the rows
    stores: Stores


_allowed: ByPool[dict[int, Video]] = ByPool(kept=POOLS_KEPT)


def allowed_at(catalog: Mapping[int, Video], level: int) -> dict[int, Video]:
    """The catalogue at a maturity level: one dict per catalogue and level, shared by every
    page at that level (never edited), so what is derived from the pool alone (its orders,
    the personalizer's rankings) is found by the pool's identity instead of recomputed."""
    return _allowed.get(
        catalog, level, lambda: {vid: v for vid, v in catalog.items() if v.maturity_level <= level}
    )


async def homepage(
    request: PageRequest, builders: Mapping[RowKind, registry.RowBuilder] = registry.ROWS
) -> Homepage:
    level = request.maturity_level
    allowed = allowed_at(request.catalog, level)
    shape = f"{request.rows}x{request.items_per_row}:{','.join(request.order)}"
    redis = request.stores.redis
    last_good_key = cache.last_good_key(request.profile_id, shape)
    page_key = await cache.page_key(redis, request.profile_id, shape)
    if page_key and (cached := await cache.read(redis, page_key, allowed)) is not None:
        return Homepage(cached, PageSource.CACHE)
    chart = await gather.chart(redis, request.country)
    try:
        with breaker.calling():
            viewer = await gather.viewer_facts(request.stores, request.profile_id, level, allowed)
            plans = registry.plans(PageFacts(request.country, allowed, chart, viewer), builders)
    except Exception as error:
        log.warning("personalization failed; degrading", error=repr(error))
        if (last_good := await cache.read(redis, last_good_key, allowed)) is not None:
            return Homepage(last_good, PageSource.LAST_GOOD)
        generic = registry.plans(PageFacts(request.country, allowed, chart), builders)
        return Homepage(_compose(request, generic, allowed), PageSource.GENERIC)
    page = _compose(request, plans, allowed)
    if page_key:
        await cache.remember(redis, page_key, last_good_key, page)
    return Homepage(page, PageSource.PERSONALIZED)


def _compose(request: PageRequest, plans: list[RowPlan], allowed: dict[int, Video]) -> list[Row]:
    return compose(
        plans, allowed, rows=request.rows, items_per_row=request.items_per_row, order=request.order
    )
