"""My List: the profile's own list, newest addition first."""

from __future__ import annotations

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan


def plans(facts: PageFacts) -> list[RowPlan]:
    if facts.viewer is None:
        return []
    return [RowPlan("my-list", RowKind.MY_LIST, "My List", facts.viewer.listed)]
