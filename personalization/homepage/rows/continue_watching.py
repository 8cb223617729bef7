"""Continue Watching: what the profile is in the middle of, most recent first."""

from __future__ import annotations

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan


def plans(facts: PageFacts) -> list[RowPlan]:
    if facts.viewer is None:
        return []
    watching = facts.viewer.watching
    return [RowPlan("continue", RowKind.CONTINUE_WATCHING, "Continue Watching", watching)]
