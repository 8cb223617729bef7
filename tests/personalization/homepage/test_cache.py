"""Cached pages: re-checked on the way out, and a page that no longer decodes is a miss."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from personalization import homepage
from personalization.homepage import Row, RowKind
from personalization.homepage.cache import decode, encode
from tests.helpers.api import Api
from tests.helpers.stores import REDIS_URL
from tests.personalization.homepage.titles import video

PAGE = "{ homepage { source rows { kind items { id } } } }"
ALLOWED = {1: video(1), 2: video(2)}


def test_a_page_round_trips_and_is_rechecked_against_the_catalogue() -> None:
    page = [Row("new", RowKind.NEW_RELEASES, "New", [video(1), video(3)])]
    assert decode(encode(page), ALLOWED) == [Row("new", RowKind.NEW_RELEASES, "New", [video(1)])]
    gone = [Row("gone", RowKind.TRENDING, "Gone", [video(3)])]
    assert decode(encode(gone), ALLOWED) == []  # a row left empty is dropped


@pytest.mark.parametrize(
    "page",
    [
        "{not json",
        json.dumps({"rows": []}),
        json.dumps([{"id": "x", "kind": "RETIRED_KIND", "title": "x", "items": [1]}]),
        json.dumps([{"id": "x", "title": "no kind", "items": [1]}]),
        json.dumps([{"id": "x", "kind": "TRENDING", "title": "x", "items": [[1]]}]),
        json.dumps(["a row"]),
    ],
)
def test_a_page_that_no_longer_decodes_is_a_miss(page: str) -> None:
    assert decode(page, ALLOWED) is None


class Broken:
    async def scorer(self, profile_id: uuid.UUID, allowed: Any) -> Callable[[Any], float]:
        raise RuntimeError("model store down")

    async def similar(self, *args: Any) -> list[int]:
        raise RuntimeError("model store down")


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    """This module tests the page (its rows, its cache, its fallbacks): the finished-body
    cache above it (tests/schema/test_homepage_bodies.py) is off, so each request renders."""
    return make_api(homepage_body_seconds=0)


@pytest.fixture(autouse=True)
def closed_breaker() -> Iterator[None]:
    homepage.breaker.close()
    yield
    homepage.breaker.close()


def _corrupt_cached_pages() -> int:
    client = redis.Redis.from_url(REDIS_URL)
    keys = [key for key in client.scan_iter("homepage:*") if b":version:" not in key]
    for key in keys:
        client.set(key, b"{not json", keepttl=True)
    client.close()
    return len(keys)


def test_an_undecodable_cached_page_is_computed_afresh(api: Api, catalog: dict[str, int]) -> None:
    api.viewer_with_profile("ada@example.com")
    assert api.data(PAGE)["homepage"]["source"] == "PERSONALIZED"
    assert _corrupt_cached_pages() == 2  # the five-minute page and the last good one
    page = api.data(PAGE)["homepage"]
    assert page["source"] == "PERSONALIZED" and page["rows"]
    assert api.data(PAGE)["homepage"]["source"] == "CACHE"  # and cached again


def test_an_undecodable_last_good_page_degrades_to_the_generic_one(
    api: Api, catalog: dict[str, int]
) -> None:
    api.viewer_with_profile("ada@example.com")
    api.data(PAGE)
    _corrupt_cached_pages()
    api.client.app.state.personalizer = Broken()  # type: ignore[attr-defined]
    page = api.data(PAGE)["homepage"]
    assert page["source"] == "GENERIC" and page["rows"]
