"""New Releases: the newest titles worth recommending."""

from __future__ import annotations

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan


def plans(facts: PageFacts) -> list[RowPlan]:
    fresh = facts.fresh
    # By release year, then the latest added (ids grow with the catalogue).
    newest = sorted(fresh, key=lambda vid: (-(fresh[vid].release_year or 0), -vid))
    return [RowPlan("new", RowKind.NEW_RELEASES, "New Releases", newest)]
