"""What is derived from a pool of titles alone is derived once per pool: the catalogue at a
maturity level is one dict for every page at that level (page.allowed_at), and its orders are
sorted once (ranked.by_popularity_within, ranked.newest_within), giving what sorting the
page's own titles would."""

from __future__ import annotations

import random

from core.records import Video
from personalization.homepage.page import allowed_at
from personalization.homepage.ranked import by_popularity, by_popularity_within, newest_within
from tests.personalization.homepage.titles import video


def _catalogue() -> dict[int, Video]:
    rng = random.Random(3)
    return {
        i: video(
            i, popularity=float(rng.randrange(5)), year=rng.choice([None, 1990, 2024]), level=i % 4
        )
        for i in range(1, 60)
    }


def test_one_pool_per_catalogue_and_level() -> None:
    catalogue = _catalogue()
    adult = allowed_at(catalogue, 3)
    assert allowed_at(catalogue, 3) is adult
    assert adult == {vid: v for vid, v in catalogue.items() if v.maturity_level <= 3}
    assert allowed_at(catalogue, 1) is not adult
    edited = dict(catalogue)  # a reload makes a new catalogue: its pools are its own
    assert allowed_at(edited, 3) is not adult and allowed_at(edited, 3) == adult


def test_orders_within_a_pool_are_the_page_sorts() -> None:
    pool = allowed_at(_catalogue(), 2)
    keep = {vid for vid in pool if vid % 3}
    kept = [pool[vid] for vid in keep]
    assert by_popularity_within(pool, keep) == by_popularity(kept)
    newest = sorted(keep, key=lambda vid: (-(pool[vid].release_year or 0), -vid))
    assert newest_within(pool, keep) == newest
    # Asked again with other titles kept: the pool's order, filtered afresh.
    assert by_popularity_within(pool, {1, 2}) == by_popularity([pool[1], pool[2]])
