"""Because You Watched X: titles like each of the latest titles the profile started."""

from __future__ import annotations

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan


def plans(facts: PageFacts) -> list[RowPlan]:
    if facts.viewer is None:
        return []
    return [
        RowPlan(
            f"because:{seed}",
            RowKind.BECAUSE_YOU_WATCHED,
            f"Because You Watched {facts.allowed[seed].title}",
            similar,
        )
        for seed, similar in facts.viewer.similar.items()
        if seed in facts.allowed
    ]
