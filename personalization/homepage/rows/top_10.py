"""Top 10: the head of the trending window, always ten titles when the catalogue has them."""

from __future__ import annotations

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan
from personalization.homepage.rows import trending

SIZE = 10


def plans(facts: PageFacts) -> list[RowPlan]:
    chart, top_up = trending.window(facts)
    title = f"Top 10 in {facts.country} Today"
    # The whole chart, not its first ten: a chart title the page cannot show again gives
    # its place to the next one rather than leaving a hole.
    return [RowPlan("top10", RowKind.TOP_10, title, chart, fill=top_up, fill_to=SIZE, limit=SIZE)]
