"""A toy row kind, written as a real one would be under ``personalization/homepage/rows/``:
the registry-extension test registers it with one line."""

from __future__ import annotations

from typing import cast

from personalization.homepage import PageFacts, RowKind, RowPlan
from personalization.homepage.ranked import by_popularity

# A real kind adds its member to RowKind (the GraphQL vocabulary); a test cannot add
# a member to an enum, so the value stands in for it.
STAFF_PICKS = cast(RowKind, "STAFF_PICKS")


def plans(facts: PageFacts) -> list[RowPlan]:
    picks = by_popularity(video for video in facts.fresh.values() if "Documentary" in video.genres)
    return [RowPlan("staff-picks", STAFF_PICKS, "Staff Picks", picks)]
