"""My List and thumbs: idempotent signals, maturity-filtered lists, homepage invalidation."""

from __future__ import annotations

from typing import Any

import redis

from tests.helpers.api import Api
from tests.helpers.stores import REDIS_URL

ADD = "mutation($id: ID!) { addToMyList(videoId: $id) { id inMyList } }"
REMOVE = "mutation($id: ID!) { removeFromMyList(videoId: $id) { id inMyList } }"
RATE = "mutation($id: ID!, $r: Rating!) { rateTitle(videoId: $id, rating: $r) { myRating } }"
LIST = "{ myList(first: 10) { totalCount edges { node { title inMyList } } } }"


def _version(profile_id: str) -> int:
    return int(redis.Redis.from_url(REDIS_URL).get(f"homepage:version:{profile_id}") or 0)


def test_list_is_idempotent_and_newest_first(api: Api, catalog: dict[str, int]) -> None:
    api.viewer_with_profile("ada@example.com")
    for title in ("Toy Story", "Babe", "Toy Story"):
        assert api.data(ADD, id=str(catalog[title]))["addToMyList"]["inMyList"] is True
    listed = api.data(LIST)["myList"]
    assert listed["totalCount"] == 2
    assert [e["node"]["title"] for e in listed["edges"]] == ["Babe", "Toy Story"]
    assert api.data(REMOVE, id=str(catalog["Babe"]))["removeFromMyList"]["inMyList"] is False
    assert api.data(REMOVE, id=str(catalog["Babe"]))["removeFromMyList"]["inMyList"] is False
    assert api.data(LIST)["myList"]["totalCount"] == 1


def test_list_hides_titles_above_maturity(api: Api, catalog: dict[str, int]) -> None:
    profile = api.viewer_with_profile("ada@example.com")
    api.data(ADD, id=str(catalog["The Godfather"]))
    api.data(ADD, id=str(catalog["Babe"]))
    api.data(
        "mutation($id: ID!) { updateProfile(id: $id, input: {maturityLevel: 2}) { id } }",
        id=profile,
    )
    assert [e["node"]["title"] for e in api.data(LIST)["myList"]["edges"]] == ["Babe"]
    assert api.error_code(ADD, id=str(catalog["The Godfather"])) == "NOT_FOUND"


def test_thumbs_set_and_clear(api: Api, catalog: dict[str, int]) -> None:
    api.viewer_with_profile("ada@example.com")
    babe = str(catalog["Babe"])
    assert api.data(RATE, id=babe, r="THUMBS_UP") == {"rateTitle": {"myRating": "THUMBS_UP"}}
    assert api.data(RATE, id=babe, r="THUMBS_DOWN") == {"rateTitle": {"myRating": "THUMBS_DOWN"}}
    assert api.data(RATE, id=babe, r="NONE") == {"rateTitle": {"myRating": "NONE"}}
    assert api.error_code(RATE, id="999999", r="THUMBS_UP") == "NOT_FOUND"


def test_each_signal_retires_the_cached_homepage(api: Api, catalog: dict[str, int]) -> None:
    profile = api.viewer_with_profile("ada@example.com")
    babe = str(catalog["Babe"])
    signals: list[tuple[str, dict[str, Any]]] = [
        (ADD, {"id": babe}),
        (REMOVE, {"id": babe}),
        (RATE, {"id": babe, "r": "THUMBS_UP"}),
        (
            "mutation($input: ProgressInput!) { updateProgress(input: $input) { completed } }",
            {
                "input": {
                    "videoId": babe,
                    "positionSeconds": 100,
                    "durationSeconds": 1000,
                    "clientTimestamp": "2026-01-01T00:00:00Z",
                    "deviceId": "tv",
                }
            },
        ),
    ]
    for query, variables in signals:
        before = _version(profile)
        api.data(query, **variables)
        assert _version(profile) == before + 1, query
