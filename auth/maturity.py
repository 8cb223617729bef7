"""Maturity levels: which titles a profile may see."""

from __future__ import annotations

# 1 G/TV-Y/TV-Y7/TV-G, 2 PG/TV-PG, 3 PG-13/TV-14, 4 R, 5 NC-17/TV-MA
LOWEST = 1
HIGHEST = 5
ADULT_DEFAULT = 4
KIDS_MAX = 2

RATING_LEVELS = {
    "G": 1, "TV-Y": 1, "TV-Y7": 1, "TV-G": 1,
    "PG": 2, "TV-PG": 2,
    "PG-13": 3, "TV-14": 3,
    "R": 4,
    "NC-17": 5, "TV-MA": 5,
}  # fmt: skip


def allows(profile_level: int, title_level: int) -> bool:
    return title_level <= profile_level
