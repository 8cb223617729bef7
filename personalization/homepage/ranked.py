"""Ordering candidates, shared by the rows: best first, ties by id so pages are stable."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Container, Iterable, Mapping

from core.records import Video

# Pools whose orders are kept: a maturity level's catalogue each (page.allowed_at hands every
# page at one level the same dict), and a catalogue edit makes new ones.
POOLS_KEPT = 16


def ranked(candidates: Iterable[Video], score: Callable[[Video], float]) -> list[int]:
    return [video.id for video in sorted(candidates, key=lambda v: (-score(v), v.id))]


def by_popularity(candidates: Iterable[Video]) -> list[int]:
    return ranked(candidates, lambda video: video.popularity)


def _newest_first(video: Video) -> tuple[int, int]:
    # By release year, then the latest added (ids grow with the catalogue).
    return -(video.release_year or 0), -video.id


def _most_popular_first(video: Video) -> tuple[float, int]:
    return -video.popularity, video.id


_orders: OrderedDict[tuple[int, Callable[[Video], object]], tuple[Mapping[int, Video], list[int]]]
_orders = OrderedDict()


def _pool_order(pool: Mapping[int, Video], key: Callable[[Video], object]) -> list[int]:
    """The pool's ids sorted by ``key``, once per pool: the same for every profile's page at
    its maturity, where sorting 1,700 titles per page was a tenth of a cold page's CPU. Kept
    by the pool's identity (held, so the id is not reused), as pools are never edited."""
    found = _orders.get((id(pool), key))
    if found is not None and found[0] is pool:
        _orders.move_to_end((id(pool), key))
        return found[1]
    order = [video.id for video in sorted(pool.values(), key=key)]  # type: ignore[arg-type]
    _orders[(id(pool), key)] = (pool, order)
    while len(_orders) > 2 * POOLS_KEPT:
        _orders.popitem(last=False)
    return order


def by_popularity_within(pool: Mapping[int, Video], keep: Container[int]) -> list[int]:
    """``by_popularity`` of the pool's titles that are in ``keep``."""
    return [vid for vid in _pool_order(pool, _most_popular_first) if vid in keep]


def newest_within(pool: Mapping[int, Video], keep: Container[int]) -> list[int]:
    """The pool's titles that are in ``keep``, newest release first."""
    return [vid for vid in _pool_order(pool, _newest_first) if vid in keep]
