"""Each row module on its own: facts in, row plans out, no store."""

from __future__ import annotations

from personalization.homepage import PageFacts, RowKind, ViewerFacts
from personalization.homepage.rows import (
    because_you_watched,
    continue_watching,
    my_list,
    new_releases,
    top_10,
    top_genre,
    trending,
)
from tests.personalization.homepage.titles import catalogue, video

ALLOWED = {
    1: video(1, "Drama", popularity=50, year=1990),
    2: video(2, "Comedy", popularity=40, year=2020),
    3: video(3, "Drama", "Crime", popularity=30, year=2020),
    4: video(4, "Horror", popularity=20),
    5: video(5, "Comedy", popularity=10, year=2001),
}


def test_personal_rows_are_absent_from_the_generic_page() -> None:
    generic = PageFacts("US", ALLOWED)
    for row in (continue_watching, my_list, because_you_watched):
        assert row.plans(generic) == []


def test_continue_watching_and_my_list_keep_the_viewers_order() -> None:
    facts = PageFacts("US", ALLOWED, viewer=ViewerFacts(watching=[3, 1], listed=[5, 2]))
    (watching,) = continue_watching.plans(facts)
    assert watching.kind is RowKind.CONTINUE_WATCHING and watching.title == "Continue Watching"
    assert list(watching.candidates) == [3, 1]
    (listed,) = my_list.plans(facts)
    assert listed.kind is RowKind.MY_LIST and list(listed.candidates) == [5, 2]


def test_new_releases_newest_first_without_finished_or_disliked_titles() -> None:
    viewer = ViewerFacts(started=[3], finished=frozenset({3}), thumbs={2: -1})
    (plan,) = new_releases.plans(PageFacts("US", ALLOWED, viewer=viewer))
    assert list(plan.candidates) == [5, 1, 4]  # 2020's two are finished or thumbed down


def test_because_you_watched_one_row_per_seed_named_after_it() -> None:
    viewer = ViewerFacts(started=[3, 1], similar={3: [1, 5], 1: [3]})
    plans = because_you_watched.plans(PageFacts("US", ALLOWED, viewer=viewer))
    assert [(p.id, p.title, list(p.candidates)) for p in plans] == [
        ("because:3", "Because You Watched Title 3", [1, 5]),
        ("because:1", "Because You Watched Title 1", [3]),
    ]


def test_top_genre_follows_the_evidence_and_the_taste() -> None:
    # A thumb up on a comedy outweighs one drama started; the taste puts 5 before 2.
    viewer = ViewerFacts(started=[1], thumbs={5: 1}, score=lambda v: -v.popularity)
    plans = top_genre.plans(PageFacts("US", ALLOWED, viewer=viewer))
    assert [(p.title, list(p.candidates)) for p in plans] == [
        ("Top Picks in Comedy", [5, 2]),
        ("Top Picks in Drama", [3, 1]),
    ]


def test_top_genre_without_history_shows_the_catalogues_popular_genres() -> None:
    plans = top_genre.plans(PageFacts("US", ALLOWED))
    assert [p.title for p in plans] == ["Popular in Drama", "Popular in Comedy", "Popular in Crime"]
    assert list(plans[0].candidates) == [1, 3]  # by popularity
    assert all(p.kind is RowKind.TOP_GENRE for p in plans)


def test_a_sparse_chart_is_topped_up_from_popularity() -> None:
    allowed = catalogue(30)
    viewer = ViewerFacts(watching=[1], listed=[2])
    (plan,) = trending.plans(PageFacts("US", allowed, trending=[17], viewer=viewer))
    assert list(plan.candidates) == [17]
    # Popular titles, leaving out what Continue Watching and My List already show.
    assert list(plan.fill)[:3] == [3, 4, 5] and 1 not in plan.fill and 2 not in plan.fill
    assert plan.fill_to == trending.FULL == 10


def test_no_chart_at_all_is_all_time_popularity() -> None:
    (plan,) = trending.plans(PageFacts("US", catalogue(5)))
    assert list(plan.candidates) == [1, 2, 3, 4, 5]


def test_top_10_is_the_head_of_the_same_window_and_never_more_than_ten() -> None:
    facts = PageFacts("FR", catalogue(30), trending=[17, 9])
    (plan,) = top_10.plans(facts)
    (chart,) = trending.plans(facts)
    assert plan.title == "Top 10 in FR Today" and plan.kind is RowKind.TOP_10
    assert (plan.candidates, plan.fill) == (chart.candidates, chart.fill)
    assert plan.limit == plan.fill_to == 10
