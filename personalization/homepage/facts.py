"""What a page is built from: plain data, gathered before any row is planned.

Row modules read only these, so each is a pure function tested without a store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from core.records import Video
from personalization.homepage.ranked import by_popularity_within


@dataclass(frozen=True)
class ViewerFacts:
    """What the profile did, most recent first: the evidence of the personal rows."""

    watching: Sequence[int] = ()  # in progress and not hidden
    started: Sequence[int] = ()  # anything past its start, finished titles included
    finished: frozenset[int] = frozenset()
    listed: Sequence[int] = ()  # My List, newest addition first
    thumbs: Mapping[int, int] = field(default_factory=dict)  # +1 or -1
    # The personalizer's taste: higher is wanted more.
    score: Callable[[Video], float] = lambda video: video.popularity
    # For the latest titles started: the titles like each, most similar first.
    similar: Mapping[int, Sequence[int]] = field(default_factory=dict)

    @property
    def disliked(self) -> set[int]:
        return {video_id for video_id, value in self.thumbs.items() if value < 0}


@dataclass(frozen=True)
class PageFacts:
    country: str
    allowed: Mapping[int, Video]  # the catalogue at the profile's maturity
    trending: Sequence[int] = ()  # the country's chart, hottest first; may be sparse
    viewer: ViewerFacts | None = None  # None: the generic page anyone would be shown

    @cached_property
    def fresh(self) -> dict[int, Video]:
        return worth_recommending(self.allowed, self.viewer)

    @cached_property
    def popular(self) -> list[int]:
        """The fresh titles, most popular first: the trending and Top 10 rows both top up
        from it, so a page sorts the catalogue once."""
        return by_popularity_within(self.allowed, self.fresh)


def worth_recommending(
    allowed: Mapping[int, Video], viewer: ViewerFacts | None
) -> dict[int, Video]:
    """The allowed titles the viewer has neither finished nor thumbed down."""
    if viewer is None:
        return dict(allowed)
    done = viewer.finished | viewer.disliked
    return {vid: video for vid, video in allowed.items() if vid not in done}
