"""The registry: every row kind and the module that plans its rows, in default page order.

A new row kind is its module under ``rows/``, its ``RowKind`` member and one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan
from personalization.homepage.rows import (
    because_you_watched,
    continue_watching,
    my_list,
    new_releases,
    top_10,
    top_genre,
    trending,
)

RowBuilder = Callable[[PageFacts], list[RowPlan]]

ROWS: Mapping[RowKind, RowBuilder] = {
    RowKind.CONTINUE_WATCHING: continue_watching.plans,
    RowKind.TRENDING: trending.plans,
    RowKind.TOP_GENRE: top_genre.plans,
    RowKind.BECAUSE_YOU_WATCHED: because_you_watched.plans,
    RowKind.MY_LIST: my_list.plans,
    RowKind.NEW_RELEASES: new_releases.plans,
    RowKind.TOP_10: top_10.plans,
}

DEFAULT_ORDER = tuple(ROWS)


def plans(facts: PageFacts, registry: Mapping[RowKind, RowBuilder] = ROWS) -> list[RowPlan]:
    """Every registered row's plans for this page."""
    return [plan for build in registry.values() for plan in build(facts)]
