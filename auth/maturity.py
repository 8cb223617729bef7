"""Maturity levels: which titles a profile may see (the levels and ratings are core.maturity's)."""

from __future__ import annotations

from core.maturity import ADULT_DEFAULT, HIGHEST, KIDS_MAX, LOWEST, RATING_LEVELS, ContentRating

__all__ = [
    "ADULT_DEFAULT",
    "HIGHEST",
    "KIDS_MAX",
    "LOWEST",
    "RATING_LEVELS",
    "ContentRating",
    "allows",
]


def allows(profile_level: int, title_level: int) -> bool:
    return title_level <= profile_level
