"""The registry: one line per row kind, and a new kind is its module plus one line."""

from __future__ import annotations

import pkgutil

from personalization.homepage import DEFAULT_ORDER, ROWS, PageFacts, RowKind, registry, rows
from personalization.homepage.compose import compose
from tests.personalization.homepage import staff_picks
from tests.personalization.homepage.titles import catalogue, video


def test_every_kind_has_one_registered_module_in_the_vocabulary_order() -> None:
    assert list(ROWS) == list(RowKind)  # the SDL lists the kinds in page order too
    assert tuple(RowKind) == DEFAULT_ORDER
    modules = {info.name for info in pkgutil.iter_modules(rows.__path__)}
    registered = {build.__module__.rsplit(".", 1)[1] for build in ROWS.values()}
    assert registered == modules


def test_a_new_row_kind_is_one_module_and_one_registry_line() -> None:
    allowed = {**catalogue(30), 99: video(99, "Documentary"), 98: video(98, "Documentary")}
    extended = {**ROWS, staff_picks.STAFF_PICKS: staff_picks.plans}  # the one line
    facts = PageFacts("US", allowed)

    order = (staff_picks.STAFF_PICKS, *DEFAULT_ORDER)
    page = compose(registry.plans(facts, extended), allowed, rows=10, items_per_row=5, order=order)

    assert page[0].kind == "STAFF_PICKS" and page[0].title == "Staff Picks"
    assert [item.id for item in page[0].items] == [98, 99]
    kinds = [row.kind for row in page]
    assert kinds == sorted(kinds, key=order.index) and len(set(kinds)) == 5
    # Not registered, not shown: the stock registry knows nothing of it.
    stock = compose(registry.plans(facts), allowed, rows=10, items_per_row=5, order=order)
    assert "STAFF_PICKS" not in {row.kind for row in stock}
