"""Personalization types: thumbs."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class Rating(Enum):
    THUMBS_UP = "THUMBS_UP"
    THUMBS_DOWN = "THUMBS_DOWN"
    NONE = "NONE"
