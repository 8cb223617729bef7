"""The homepage: personalized rows for the active profile, cached, and always answered.

Personalization sits behind a circuit breaker. When it fails (or the breaker is open) the
profile's last good page is served, else a generic page of trending and popular titles:
the front door never shows an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import pybreaker
import structlog

from datasources import homepage_cache, signals, trending
from datasources.catalog_snapshot import CatalogSnapshot
from datasources.errors import BadUserInput
from datasources.records import Profile, Video
from datasources.viewing.records import TitleStateKind
from resolvers.context import Context
from resolvers.homepage_rows import (
    DEFAULT_ORDER,
    Row,
    RowKind,
    RowPlan,
    compose,
    genre_affinity,
    popular_genres,
    ranked,
)

MAX_ROWS = 20
MAX_ITEMS_PER_ROW = 50
HISTORY_DEPTH = 200
log = structlog.get_logger("flix.homepage")

# Shared by the process: five failures in a row open it for thirty seconds.
breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30, name="personalization")
LAST_GOOD_TTL_SECONDS = 24 * 3600


class PageSource(StrEnum):
    PERSONALIZED = "PERSONALIZED"
    CACHE = "CACHE"
    LAST_GOOD = "LAST_GOOD"
    GENERIC = "GENERIC"


@dataclass(frozen=True)
class Homepage:
    rows: list[Row]
    source: PageSource


class Personalizer(Protocol):
    async def scorer(self, profile_id: UUID, allowed: dict[int, Video]) -> Callable[[Video], float]:
        """How much the profile should want each of ``allowed`` (higher first)."""
        ...

    async def similar(self, video: Video, allowed: dict[int, Video], limit: int) -> list[int]:
        """Titles like ``video`` among ``allowed``, most similar first."""
        ...


ROW_ORDER_EXPERIMENT = "homepage_rows"


def row_order(treatment: Mapping[str, Any] | None) -> tuple[RowKind, ...]:
    """The row order a variant asks for (``row_order``: kinds, first first); kinds it leaves
    out keep their default order after the ones it names, unknown names are ignored."""
    named = treatment.get("row_order") if treatment else None
    if not isinstance(named, list):
        return DEFAULT_ORDER
    chosen = [RowKind(name) for name in named if name in RowKind.__members__]
    return tuple(dict.fromkeys([*chosen, *DEFAULT_ORDER]))


def _check_shape(rows: int | None, items_per_row: int | None) -> tuple[int, int]:
    rows = 10 if rows is None else rows
    items = 20 if items_per_row is None else items_per_row
    if not 1 <= rows <= MAX_ROWS:
        raise BadUserInput(f"`rows` must be between 1 and {MAX_ROWS}.")
    if not 1 <= items <= MAX_ITEMS_PER_ROW:
        raise BadUserInput(f"`itemsPerRow` must be between 1 and {MAX_ITEMS_PER_ROW}.")
    return rows, items


def _allowed(snapshot: CatalogSnapshot, profile: Profile) -> dict[int, Video]:
    level = profile.maturity_level
    return {vid: v for vid, v in snapshot.videos.items() if v.maturity_level <= level}


async def _trending(ctx: Context, country: str, limit: int) -> list[int]:
    try:
        return await trending.top(ctx.redis, country, limit)
    except Exception as error:  # Redis away: the chart falls back to all-time popularity
        log.warning("trending unavailable", error=repr(error))
        return []


def _by_popularity(allowed: dict[int, Video]) -> list[int]:
    return ranked(allowed.values(), lambda video: video.popularity)


async def _generic_plans(ctx: Context, allowed: dict[int, Video], country: str) -> list[RowPlan]:
    """What anyone would be shown: trending, popular per genre, new, top 10."""
    hot = await _trending(ctx, country, 200) or _by_popularity(allowed)
    plans = [RowPlan("trending", RowKind.TRENDING, "Trending Now", hot)]
    for genre in popular_genres(allowed)[:3]:
        in_genre = [v for v in allowed.values() if genre in v.genres]
        plans.append(
            RowPlan(f"genre:{genre}", RowKind.TOP_GENRE, f"Popular in {genre}",
                    ranked(in_genre, lambda v: v.popularity))
        )  # fmt: skip
    plans.append(RowPlan("new", RowKind.NEW_RELEASES, "New Releases", _newest_first(allowed)))
    plans.append(RowPlan("top10", RowKind.TOP_10, f"Top 10 in {country} Today", hot[:10]))
    return plans


def _newest_first(allowed: dict[int, Video]) -> list[int]:
    """Newest first, by release year then id."""
    return sorted(allowed, key=lambda vid: (-(allowed[vid].release_year or 0), -vid))


async def _personal_plans(
    ctx: Context, profile: Profile, allowed: dict[int, Video], personalizer: Personalizer
) -> list[RowPlan]:
    account = ctx.viewer.require_account()
    recent = await ctx.viewing.recent_titles(profile.id, HISTORY_DEPTH)
    listed = await signals.list_page(
        ctx.engine, profile.id, max_maturity=profile.maturity_level, offset=0, limit=100
    )
    thumbs = await signals.profile_ratings(ctx.engine, profile.id)
    score = await personalizer.scorer(profile.id, allowed)

    watching = [
        t.video_id for t in recent if t.state is TitleStateKind.IN_PROGRESS and not t.hidden
    ]
    started = [t for t in recent if t.state is not TitleStateKind.NOT_STARTED]
    finished = {t.video_id for t in recent if t.state is TitleStateKind.COMPLETED}
    disliked = {video_id for video_id, value in thumbs.items() if value < 0}
    fresh = {vid: v for vid, v in allowed.items() if vid not in finished | disliked}

    evidence = [(allowed[t.video_id], 2.0 if t.video_id in finished else 1.0)
                for t in started if t.video_id in allowed]  # fmt: skip
    evidence += [(allowed[vid], 1.0) for vid in listed.items if vid in allowed]
    evidence += [(allowed[vid], 2.0 * value) for vid, value in thumbs.items() if vid in allowed]
    genres = genre_affinity(evidence) or popular_genres(allowed)

    plans = await _generic_plans(ctx, fresh, account.country)
    plans = [plan for plan in plans if plan.kind is not RowKind.TOP_GENRE]
    plans.append(RowPlan("continue", RowKind.CONTINUE_WATCHING, "Continue Watching", watching))
    plans.append(RowPlan("my-list", RowKind.MY_LIST, "My List", listed.items))
    for genre in genres[:3]:
        in_genre = [v for v in fresh.values() if genre in v.genres]
        plans.append(
            RowPlan(f"genre:{genre}", RowKind.TOP_GENRE, f"Top Picks in {genre}",
                    ranked(in_genre, score))
        )  # fmt: skip
    for title in [t for t in started if t.video_id in allowed][:3]:
        seed = allowed[title.video_id]
        similar = await personalizer.similar(seed, fresh, 60)
        plans.append(
            RowPlan(f"because:{seed.id}", RowKind.BECAUSE_YOU_WATCHED,
                    f"Because You Watched {seed.title}", similar)
        )  # fmt: skip
    return plans


def _encode(rows: list[Row]) -> str:
    return json.dumps(
        [{"id": r.id, "kind": r.kind, "title": r.title, "items": [v.id for v in r.items]}
         for r in rows]
    )  # fmt: skip


def _decode(page: str, allowed: dict[int, Video]) -> list[Row]:
    """A cached page, re-checked against today's catalogue and the profile's maturity."""
    rows = []
    for row in json.loads(page):
        items = [allowed[vid] for vid in row["items"] if vid in allowed]
        if items:
            rows.append(Row(row["id"], RowKind(row["kind"]), row["title"], items))
    return rows


async def _cached(ctx: Context, key: str) -> str | None:
    try:
        return await homepage_cache.get(ctx.redis, key)
    except Exception as error:
        log.warning("homepage cache unavailable", error=repr(error))
        return None


async def _remember(ctx: Context, keys: list[str], page: str) -> None:
    try:
        await homepage_cache.put(ctx.redis, keys[0], page)
        await ctx.redis.set(keys[1], page, ex=LAST_GOOD_TTL_SECONDS)
    except Exception as error:
        log.warning("homepage cache unavailable", error=repr(error))


async def homepage(
    ctx: Context,
    rows: int | None,
    items_per_row: int | None,
    order: tuple[RowKind, ...] = DEFAULT_ORDER,
) -> Homepage:
    profile = ctx.viewer.require_profile()
    row_count, items = _check_shape(rows, items_per_row)
    allowed = _allowed(await ctx.catalog.current(), profile)
    shape = f"{row_count}x{items}:{','.join(order)}"
    last_good_key = f"homepage:last:{profile.id}:{shape}"
    try:
        page_key = await homepage_cache.page_key(ctx.redis, profile.id, shape)
    except Exception:
        page_key = None
    if page_key and (page := await _cached(ctx, page_key)):
        return Homepage(_decode(page, allowed), PageSource.CACHE)
    try:
        with breaker.calling():
            plans = await _personal_plans(ctx, profile, allowed, ctx.personalizer)
    except Exception as error:
        log.warning("personalization failed; degrading", error=repr(error))
        if page := await _cached(ctx, last_good_key):
            return Homepage(_decode(page, allowed), PageSource.LAST_GOOD)
        country = ctx.viewer.require_account().country
        plans = await _generic_plans(ctx, allowed, country)
        generic = compose(plans, allowed, rows=row_count, items_per_row=items, order=order)
        return Homepage(generic, PageSource.GENERIC)
    page_rows = compose(plans, allowed, rows=row_count, items_per_row=items, order=order)
    if page_key:
        await _remember(ctx, [page_key, last_good_key], _encode(page_rows))
    return Homepage(page_rows, PageSource.PERSONALIZED)
