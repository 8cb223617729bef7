"""Maturity: a profile sees titles at or below its level; every rating has one level."""

from __future__ import annotations

from auth import maturity


def test_a_profile_sees_its_level_and_below_only() -> None:
    assert maturity.allows(maturity.KIDS_MAX, maturity.LOWEST)
    assert maturity.allows(maturity.KIDS_MAX, maturity.KIDS_MAX)
    assert not maturity.allows(maturity.KIDS_MAX, maturity.KIDS_MAX + 1)


def test_every_rating_maps_into_the_level_range() -> None:
    levels = set(maturity.RATING_LEVELS.values())
    assert min(levels) == maturity.LOWEST and max(levels) == maturity.HIGHEST
    assert maturity.RATING_LEVELS[maturity.ContentRating("PG")] <= maturity.KIDS_MAX
