"""The homepage use cases: the active profile's page, and retiring it when a signal changes.

The page itself lives in ``personalization.homepage``; this layer only checks the shape and
gathers the request's facts for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import BadUserInput
from personalization.homepage import (
    DEFAULT_ORDER,
    Homepage,
    PageRequest,
    PageSource,
    Row,
    RowKind,
    Stores,
    forget,
    page_version,
)
from personalization.homepage import homepage as build_homepage
from resolvers import experiments
from resolvers.context import Context

__all__ = [
    "MAX_ITEMS_PER_ROW",
    "MAX_ROWS",
    "ROW_ORDER_EXPERIMENT",
    "Homepage",
    "PageSource",
    "Row",
    "RowKind",
    "homepage",
    "row_order",
    "signal_changed",
]

MAX_ROWS = 20
MAX_ITEMS_PER_ROW = 50
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


async def homepage(
    ctx: Context,
    rows: int | None,
    items_per_row: int | None,
    order: tuple[RowKind, ...] = DEFAULT_ORDER,
) -> Homepage:
    profile = ctx.viewer.require_profile()
    row_count, items = _check_shape(rows, items_per_row)
    request = PageRequest(
        profile_id=profile.id,
        maturity_level=profile.maturity_level,
        country=ctx.viewer.require_account().country,
        catalog=(await ctx.catalog.current()).videos,
        rows=row_count,
        items_per_row=items,
        order=order,
        stores=Stores(ctx.engine, ctx.redis, ctx.viewing, ctx.personalizer),
    )
    page = await build_homepage(request)
    ctx.homepage_sources.append(page.source)
    return page


def rendered_fully(ctx: Context) -> bool:
    """Whether every homepage of this request was personalized (fresh, or from the page
    cache): a degraded page must not outlive the trouble that caused it."""
    return all(source in _FULL for source in ctx.homepage_sources)


_FULL = frozenset({PageSource.PERSONALIZED, PageSource.CACHE})


async def page_inputs(ctx: Context) -> tuple[object, ...] | None:
    """Everything the active profile's homepage is rendered from, as a cache key part (None
    without a profile): whose page, at what maturity, in which country, the profile's page
    version (bumped by every signal it changes, ``signal_changed``), the catalogue version,
    and the experiment variants the profile is in. Trending and the ranking model are not
    versioned: a finished page lives a few seconds at most (server/homepage_bodies.py)."""
    profile = ctx.viewer.profile
    if profile is None:
        return None
    version = await page_version(ctx.redis, profile.id)
    if version is None:
        return None
    account = ctx.viewer.require_account()
    assigned = await experiments.assignments(ctx)
    return (
        profile.id,
        profile.maturity_level,
        account.country,
        version,
        (await ctx.catalog.current()).version,
        tuple(sorted((a.experiment_key, a.phase, a.variant_key) for a in assigned)),
    )


async def signal_changed(ctx: Context) -> None:
    """A changed signal (progress, My List, a thumb) retires the profile's cached pages."""
    await forget(ctx.redis, ctx.viewer.require_profile().id)
