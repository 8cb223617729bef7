"""Maturity levels (1 all ages to 5 adults only) and the display ratings that set them.

The catalog (the CHECK constraints, MovieLens import, demo data), profiles and the maturity
rule all read these; ``auth.maturity`` applies them to a profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class ContentRating(StrEnum):
    """A title's display rating (``videos.rating``): the US film and TV boards' words."""

    G = "G"
    TV_Y = "TV-Y"
    TV_Y7 = "TV-Y7"
    TV_G = "TV-G"
    PG = "PG"
    TV_PG = "TV-PG"
    PG_13 = "PG-13"
    TV_14 = "TV-14"
    R = "R"
    NC_17 = "NC-17"
    TV_MA = "TV-MA"

    @property
    def level(self) -> int:
        return RATING_LEVELS[self]


# The ratings of each level, from level 1 up.
_BY_LEVEL: Final = (
    (ContentRating.G, ContentRating.TV_Y, ContentRating.TV_Y7, ContentRating.TV_G),
    (ContentRating.PG, ContentRating.TV_PG),
    (ContentRating.PG_13, ContentRating.TV_14),
    (ContentRating.R,),
    (ContentRating.NC_17, ContentRating.TV_MA),
)

LOWEST: Final = 1
HIGHEST: Final = len(_BY_LEVEL)
ADULT_DEFAULT: Final = 4  # a new adult profile's level
KIDS_MAX: Final = 2  # the highest level a kids profile may have

RATING_LEVELS: Final[Mapping[ContentRating, int]] = MappingProxyType(
    {rating: level for level, ratings in enumerate(_BY_LEVEL, LOWEST) for rating in ratings}
)
