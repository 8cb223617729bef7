"""Ordering candidates, shared by the rows: best first, ties by id so pages are stable."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any

from core.records import Video
from personalization.homepage.by_pool import ByPool

POOLS_KEPT = 16  # pools told apart: a maturity level's catalogue each, per catalogue


def ranked(candidates: Iterable[Video], score: Callable[[Video], float]) -> list[int]:
    return [video.id for video in sorted(candidates, key=lambda v: (-score(v), v.id))]


def by_popularity(candidates: Iterable[Video]) -> list[int]:
    return ranked(candidates, lambda video: video.popularity)


def _newest_first(video: Video) -> tuple[int, int]:
    # By release year, then the latest added (ids grow with the catalogue).
    return -(video.release_year or 0), -video.id


def _most_popular_first(video: Video) -> tuple[float, int]:
    return -video.popularity, video.id


# Two orders per pool: a maturity level's catalogue each, and a catalogue edit makes new ones.
_orders: ByPool[list[int]] = ByPool(kept=2 * POOLS_KEPT)


def _pool_order(pool: Mapping[int, Video], key: Callable[[Video], Any]) -> list[int]:
    """The pool's ids sorted by ``key``, once per pool: the same for every profile's page at
    its maturity, where sorting 1,700 titles per page was a tenth of a cold page's CPU."""
    return _orders.get(pool, key, lambda: [video.id for video in sorted(pool.values(), key=key)])


def by_popularity_within(pool: Mapping[int, Video], keep: Container[int]) -> list[int]:
    """``by_popularity`` of the pool's titles that are in ``keep``."""
    return [vid for vid in _pool_order(pool, _most_popular_first) if vid in keep]


def newest_within(pool: Mapping[int, Video], keep: Container[int]) -> list[int]:
    """The pool's titles that are in ``keep``, newest release first."""
    return [vid for vid in _pool_order(pool, _newest_first) if vid in keep]
