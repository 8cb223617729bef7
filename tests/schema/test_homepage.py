"""The homepage: every row kind, maturity everywhere, the page rules, caching and degradation."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from datasources.personalization import trending
from personalization import homepage as homepage_module
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.progress import ok
from tests.helpers.stores import REDIS_URL

PAGE = """query($rows: Int, $items: Int) { homepage(rows: $rows, itemsPerRow: $items) {
  source rows { id kind title items { id title maturityLevel } } } }"""


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    """This module tests the page (its rows, its cache, its fallbacks): the finished-body
    cache above it (tests/schema/test_homepage_bodies.py) is off, so each request renders."""
    return make_api(homepage_body_seconds=0)


@pytest.fixture(autouse=True)
def closed_breaker() -> Iterator[None]:
    homepage_module.breaker.close()
    yield
    homepage_module.breaker.close()


def _trend(views: dict[int, int], country: str = "US") -> None:
    async def record() -> None:
        redis = Redis.from_url(REDIS_URL)
        for video_id, count in views.items():
            for _ in range(count):
                await trending.record_view(
                    redis,
                    profile_id=uuid.uuid4(),
                    video_id=video_id,
                    country=country,
                    at=datetime.now(UTC),
                )
        await redis.aclose()

    blocking(record())


def _page(api: Api, rows: int = 20, items: int = 20) -> dict[str, Any]:
    page: dict[str, Any] = api.data(PAGE, rows=rows, items=items)["homepage"]
    return page


def _kinds(page: dict[str, Any]) -> list[str]:
    return [row["kind"] for row in page["rows"]]


@pytest.fixture
def watched(api: Api, catalog: dict[str, int]) -> Api:
    """An adult who has watched, listed and rated things, with trending data about."""
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    _trend({catalog["Babe"]: 5, catalog["Toy Story"]: 3, catalog["Crash"]: 1})
    ok(api, catalog["Twelve Monkeys"], 3000, at=1)
    ok(api, catalog["The Godfather"], 5990, at=2)
    api.data("mutation($id: ID!) { addToMyList(videoId: $id) { id } }", id=str(catalog["Babe"]))
    api.data(
        "mutation($id: ID!) { rateTitle(videoId: $id, rating: THUMBS_UP) { id } }",
        id=str(catalog["Crash"]),
    )
    return api


def test_every_row_kind_in_order(watched: Api) -> None:
    page = _page(watched)
    assert page["source"] == "PERSONALIZED"
    kinds = _kinds(page)
    assert kinds[0] == "CONTINUE_WATCHING"
    assert set(kinds) == {
        "CONTINUE_WATCHING",
        "TRENDING",
        "TOP_GENRE",
        "BECAUSE_YOU_WATCHED",
        "MY_LIST",
        "NEW_RELEASES",
        "TOP_10",
    }
    assert page["rows"][0]["items"][0]["title"] == "Twelve Monkeys"
    trending_row = next(row for row in page["rows"] if row["kind"] == "TRENDING")
    # Babe trends most, but My List and the Top 10 (which claim first) already show it twice.
    assert [item["title"] for item in trending_row["items"]][:2] == ["Toy Story", "Crash"]
    top10 = next(row for row in page["rows"] if row["kind"] == "TOP_10")
    # The chart's three titles first, topped up from popularity to a full ten.
    assert [item["title"] for item in top10["items"]][:3] == ["Babe", "Toy Story", "Crash"]
    assert len(top10["items"]) == 10
    because = [row["title"] for row in page["rows"] if row["kind"] == "BECAUSE_YOU_WATCHED"]
    assert because[0] == "Because You Watched The Godfather"


def test_page_rules_hold(watched: Api) -> None:
    page = _page(watched, rows=20, items=50)
    appearances: dict[str, int] = {}
    for row in page["rows"]:
        ids = [item["id"] for item in row["items"]]
        assert len(ids) == len(set(ids)), row["id"]  # no title twice in a row
        assert ids, row["id"]  # empty rows are dropped
        for video_id in ids:
            appearances[video_id] = appearances.get(video_id, 0) + 1
    assert max(appearances.values()) <= 2


def test_shape_arguments(watched: Api) -> None:
    page = _page(watched, rows=2, items=3)
    assert len(page["rows"]) == 2 and all(len(r["items"]) <= 3 for r in page["rows"])
    assert watched.error_code(PAGE, rows=0, items=5) == "BAD_USER_INPUT"
    assert watched.error_code(PAGE, rows=5, items=51) == "BAD_USER_INPUT"


def test_kids_see_nothing_above_their_level_in_any_row(api: Api, catalog: dict[str, int]) -> None:
    _trend({catalog["The Godfather"]: 9, catalog["Crash"]: 9, catalog["Toy Story"]: 1})
    api.viewer_with_profile("kid@example.com", isKids=True)
    ok(api, catalog["Toy Story"], 3000, at=1)
    page = _page(api)
    assert page["rows"]
    assert all(item["maturityLevel"] <= 2 for row in page["rows"] for item in row["items"])


def test_cold_start_gets_a_sensible_page(api: Api, catalog: dict[str, int]) -> None:
    api.viewer_with_profile("new@example.com", maturityLevel=5)
    kinds = _kinds(_page(api))
    assert "CONTINUE_WATCHING" not in kinds and "BECAUSE_YOU_WATCHED" not in kinds
    assert {"TRENDING", "TOP_GENRE", "NEW_RELEASES", "TOP_10"} <= set(kinds)


def test_pages_are_cached_until_a_signal_changes(watched: Api, catalog: dict[str, int]) -> None:
    assert _page(watched)["source"] == "PERSONALIZED"
    assert _page(watched)["source"] == "CACHE"
    watched.data(
        "mutation($id: ID!) { addToMyList(videoId: $id) { id } }", id=str(catalog["Toy Story"])
    )
    page = _page(watched)
    assert page["source"] == "PERSONALIZED"
    my_list = next(row for row in page["rows"] if row["kind"] == "MY_LIST")
    assert [item["title"] for item in my_list["items"]] == ["Toy Story", "Babe"]


class Broken:
    async def scorer(self, profile_id: uuid.UUID, allowed: Any) -> Callable[[Any], float]:
        raise RuntimeError("model store down")

    async def similar(self, *args: Any) -> list[int]:
        raise RuntimeError("model store down")


def test_failing_personalization_serves_the_last_good_page(watched: Api) -> None:
    good = _page(watched)
    watched.client.app.state.personalizer = Broken()  # type: ignore[attr-defined]
    watched.data(  # a signal retires the cached page, so personalization must run
        "mutation($id: ID!) { removeFromMyList(videoId: $id) { id } }",
        id=good["rows"][0]["items"][0]["id"],
    )
    degraded = _page(watched)
    assert degraded["source"] == "LAST_GOOD"
    assert degraded["rows"] == good["rows"]


def test_failing_personalization_without_cache_serves_a_generic_page(watched: Api) -> None:
    watched.client.app.state.personalizer = Broken()  # type: ignore[attr-defined]
    page = _page(watched)
    assert page["source"] == "GENERIC"
    assert {"TRENDING", "TOP_GENRE", "NEW_RELEASES", "TOP_10"} <= set(_kinds(page))
    for _ in range(5):
        _page(watched)
    assert homepage_module.breaker.current_state == "open"  # observable, and short-circuits
    assert _page(watched)["source"] == "GENERIC"


def test_redis_down_still_serves_a_page(
    make_api: Callable[..., Api], catalog: dict[str, int]
) -> None:
    with FaultProxy("127.0.0.1", urlsplit(REDIS_URL).port or 6379) as proxy:
        database = REDIS_URL.rsplit("/", 1)[1]
        api = make_api(redis_url=f"redis://127.0.0.1:{proxy.port}/{database}")
        api.viewer_with_profile("ada@example.com", maturityLevel=5)
        _page(api)  # the session is now known to this process
        proxy.reset()
        page = _page(api)
        assert page["rows"] and page["source"] in ("PERSONALIZED", "GENERIC")


def test_statement_count_does_not_grow_with_the_page(
    watched: Api, count_statements: Callable[[], int]
) -> None:
    costs = []
    for rows, items in ((1, 1), (20, 50)):
        watched.data(  # retire the cache so each page is computed
            "mutation($id: ID!) { rateTitle(videoId: $id, rating: NONE) { id } }",
            id=_page(watched, 1, 1)["rows"][0]["items"][0]["id"],
        )
        before = count_statements()
        _page(watched, rows, items)
        costs.append(count_statements() - before)
    assert costs[0] == costs[1], costs
