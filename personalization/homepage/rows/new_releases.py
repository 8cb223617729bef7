"""New Releases: the newest titles worth recommending."""

from __future__ import annotations

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan
from personalization.homepage.ranked import newest_within


def plans(facts: PageFacts) -> list[RowPlan]:
    newest = newest_within(facts.allowed, facts.fresh)
    return [RowPlan("new", RowKind.NEW_RELEASES, "New Releases", newest)]
