"""Stable ids for normalized client caches (docs/client_caching.md): the same thing has the
same id wherever it appears, and updateProgress answers the object Continue Watching holds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.api import Api
from tests.helpers.progress import EPISODES, client_time

UPDATE = """mutation($input: ProgressInput!) {
  updateProgress(input: $input) {
    id positionSeconds
    video { id progress { id positionSeconds episode { id } } }
  }
}"""
CONTINUE = "{ continueWatching { id progress { id positionSeconds } video { id } } }"
TITLE = "query($id: ID!) { video(id: $id) { progress { id positionSeconds } } }"


@pytest.fixture
def viewer(api: Api, catalog: dict[str, int]) -> tuple[Api, str]:
    profile = api.viewer_with_profile("ids@example.com", maturityLevel=5)
    return api, profile


def update(api: Api, video: int, position: float, at: float, **extra: Any) -> dict[str, Any]:
    progress = {
        "videoId": str(video),
        "positionSeconds": position,
        "durationSeconds": 2700.0,
        "clientTimestamp": client_time(at),
        "deviceId": "tv-1",
        **extra,
    }
    answer: dict[str, Any] = api.data(UPDATE, input=progress)["updateProgress"]
    return answer


def test_a_movie_has_one_progress_object_everywhere(
    viewer: tuple[Api, str], catalog: dict[str, int]
) -> None:
    api, profile = viewer
    babe = catalog["Babe"]
    answered = update(api, babe, 600, at=1)
    key = f"{profile}:{babe}"
    assert answered["id"] == key
    assert answered["video"]["progress"]["id"] == key
    [row] = api.data(CONTINUE)["continueWatching"]
    assert row["id"] == key
    assert row["progress"] == {"id": key, "positionSeconds": 600}
    assert api.data(TITLE, id=str(babe))["video"]["progress"] == row["progress"]


def test_a_series_has_episode_progress_and_the_title_standing(
    viewer: tuple[Api, str], catalog: dict[str, int]
) -> None:
    api, profile = viewer
    series = catalog["Harbour Nights"]
    seasons = api.data(EPISODES, id=str(series))["video"]["seasons"]
    first = seasons[0]["episodes"][0]["id"]
    answered = update(api, series, 600, at=1, episodeId=first)
    assert answered["id"] == f"{profile}:{series}:{first}"
    # The title's standing, refreshed in the same answer, is the object the row holds.
    standing = answered["video"]["progress"]
    assert standing["id"] == f"{profile}:{series}"
    assert standing["positionSeconds"] == 600
    assert standing["episode"] == {"id": first}
    [row] = api.data(CONTINUE)["continueWatching"]
    assert row["progress"] == {"id": standing["id"], "positionSeconds": 600}
    episode_progress = api.data(
        "query($id: ID!) { video(id: $id) { seasons { episodes { id progress { id } } } } }",
        id=str(series),
    )["video"]["seasons"][0]["episodes"][0]["progress"]
    assert episode_progress == {"id": answered["id"]}


def test_homepage_and_assignments_have_ids_of_the_profile(viewer: tuple[Api, str]) -> None:
    api, profile = viewer
    data = api.data("{ homepage { id rows { id } } me { assignments { id experimentKey } } }")
    assert data["homepage"]["id"] == profile
    for assignment in data["me"]["assignments"]:
        assert assignment["id"] == f"{profile}:{assignment['experimentKey']}"
