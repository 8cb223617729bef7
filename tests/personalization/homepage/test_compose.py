"""The page-wide rules, on plans made by hand."""

from __future__ import annotations

from collections.abc import Sequence

from personalization.homepage import DEFAULT_ORDER, Row, RowKind, RowPlan
from personalization.homepage.compose import compose
from tests.personalization.homepage.titles import catalogue, video

ALLOWED = catalogue(40)


def _page(
    plans: list[RowPlan], rows: int = 20, items: int = 20, order: Sequence[RowKind] = DEFAULT_ORDER
) -> list[Row]:
    return compose(plans, ALLOWED, rows=rows, items_per_row=items, order=order)


def _ids(row: Row) -> list[int]:
    return [item.id for item in row.items]


def test_rows_follow_the_order_and_plans_of_a_kind_keep_theirs() -> None:
    plans = [
        RowPlan("new", RowKind.NEW_RELEASES, "New", [1]),
        RowPlan("genre:b", RowKind.TOP_GENRE, "B", [2]),
        RowPlan("genre:a", RowKind.TOP_GENRE, "A", [3]),
        RowPlan("continue", RowKind.CONTINUE_WATCHING, "Continue", [4]),
    ]
    assert [row.id for row in _page(plans)] == ["continue", "genre:b", "genre:a", "new"]
    charts_first = tuple(dict.fromkeys((RowKind.NEW_RELEASES, *DEFAULT_ORDER)))
    assert _page(plans, order=charts_first)[0].id == "new"
    assert [row.id for row in _page(plans, rows=2)] == ["continue", "genre:b"]


def test_no_title_twice_in_a_row_at_most_two_rows_and_no_empty_row() -> None:
    plans = [
        RowPlan("a", RowKind.TOP_GENRE, "A", [1, 1, 2]),
        RowPlan("b", RowKind.TOP_GENRE, "B", [1, 2]),
        RowPlan("c", RowKind.TOP_GENRE, "C", [1, 2, 3]),
        RowPlan("d", RowKind.TOP_GENRE, "D", [1, 2]),
        RowPlan("gone", RowKind.TOP_GENRE, "Gone", [999]),  # not allowed: never shown
    ]
    page = _page(plans)
    assert [(row.id, _ids(row)) for row in page] == [("a", [1, 2]), ("b", [1, 2]), ("c", [3])]


def test_lists_the_viewer_knows_claim_their_titles_first() -> None:
    plans = [
        RowPlan("genre:a", RowKind.TOP_GENRE, "A", [1, 2]),
        RowPlan("genre:b", RowKind.TOP_GENRE, "B", [1, 2]),
        RowPlan("my-list", RowKind.MY_LIST, "My List", [1]),
        RowPlan("top10", RowKind.TOP_10, "Top 10", [2]),
    ]
    page = {row.id: _ids(row) for row in _page(plans)}
    # The second genre row, not My List or the Top 10, loses the titles to the cap.
    assert page == {"genre:a": [1, 2], "my-list": [1], "top10": [2]}


def test_a_top_up_fills_to_its_minimum_first_and_past_it_only_from_what_is_left() -> None:
    fill = list(range(1, 41))
    chart = RowPlan("trending", RowKind.TRENDING, "Trending", [5], fill=fill, fill_to=4)
    genres = [RowPlan(f"genre:{g}", RowKind.TOP_GENRE, g, list(range(1, 41))) for g in "ab"]
    page = {row.id: _ids(row) for row in _page([chart, *genres], items=8)}
    assert page["trending"][:4] == [5, 1, 2, 3]  # its own title, then up to the minimum
    assert page["genre:a"] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert page["genre:b"] == [4, 6, 7, 8, 9, 10, 11, 12]  # 1, 2, 3 and 5 are on twice
    assert page["trending"][4:] == [9, 10, 11, 12]  # the genre rows had 4, 6, 7, 8 twice


def test_a_limit_caps_a_row_below_the_page_shape() -> None:
    top = RowPlan("top10", RowKind.TOP_10, "Top 10", list(range(1, 41)), limit=10)
    assert len(_page([top], items=20)[0].items) == 10
    assert len(_page([top], items=3)[0].items) == 3


def test_maturity_is_the_allowed_map() -> None:
    allowed = {1: video(1), 2: video(2, level=5)}
    plan = RowPlan("new", RowKind.NEW_RELEASES, "New", [2, 1])
    page = compose([plan], {1: allowed[1]}, rows=5, items_per_row=5, order=DEFAULT_ORDER)
    assert _ids(page[0]) == [1]
