"""Trending Now: the country's chart, topped up from popularity when the chart is sparse.

A new service, a quiet country or a Redis outage leaves the chart with a title or two (or
none); the row still shows at least ``FULL`` titles when the catalogue has them.
"""

from __future__ import annotations

from collections.abc import Sequence

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan

FULL = 10


def window(facts: PageFacts) -> tuple[Sequence[int], list[int]]:
    """The chart, hottest first, and the popular titles that top it up.

    The top-up leaves out what the viewer's own rows already show: a title in Continue
    Watching or My List is no discovery, and every extra row it appeared in would take its
    second place on the page from a recommendation row."""
    popular = facts.popular
    chart = facts.trending or popular  # no chart at all: all-time popularity is the chart
    own = set(facts.viewer.watching) | set(facts.viewer.listed) if facts.viewer else set()
    return chart, [video_id for video_id in popular if video_id not in own]


def plans(facts: PageFacts) -> list[RowPlan]:
    chart, top_up = window(facts)
    return [RowPlan("trending", RowKind.TRENDING, "Trending Now", chart, fill=top_up, fill_to=FULL)]
