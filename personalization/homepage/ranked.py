"""Ordering candidates, shared by the rows: best first, ties by id so pages are stable."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from core.records import Video


def ranked(candidates: Iterable[Video], score: Callable[[Video], float]) -> list[int]:
    return [video.id for video in sorted(candidates, key=lambda v: (-score(v), v.id))]


def by_popularity(candidates: Iterable[Video]) -> list[int]:
    return ranked(candidates, lambda video: video.popularity)
