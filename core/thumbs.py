"""Thumbs: a profile's explicit verdict on a title, and the score the ratings table keeps."""

from __future__ import annotations

from enum import StrEnum


class Thumbs(StrEnum):
    """GraphQL's ``Rating``. ``NONE`` is no row at all: clearing a rating deletes it."""

    THUMBS_UP = "THUMBS_UP"
    THUMBS_DOWN = "THUMBS_DOWN"
    NONE = "NONE"

    @property
    def score(self) -> int:
        """What ``ratings.rating`` stores: +1 or -1 (0 for NONE, which is never stored)."""
        return _SCORES[self]

    @classmethod
    def of_score(cls, score: int) -> Thumbs:
        return next((thumbs for thumbs, s in _SCORES.items() if s == score), cls.NONE)


_SCORES = {Thumbs.THUMBS_UP: 1, Thumbs.THUMBS_DOWN: -1, Thumbs.NONE: 0}

STORED_SCORES = tuple(sorted(thumbs.score for thumbs in Thumbs if thumbs is not Thumbs.NONE))
