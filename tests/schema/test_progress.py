"""updateProgress, Continue Watching, history: last write wins and nothing acknowledged is lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.settings import Settings
from tests.helpers.api import Api
from tests.helpers.progress import CONTINUE, EPISODES, PROGRESS, T0, client_time, ok, send


def _continue(api: Api) -> list[tuple[str, str | None, float]]:
    return [
        (item["video"]["title"], (item["episode"] or {}).get("title"), item["positionSeconds"])
        for item in api.data(CONTINUE)["continueWatching"]
    ]


@pytest.fixture
def viewer(api: Api, catalog: dict[str, int]) -> Api:
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    return api


def test_last_write_wins_by_client_time(viewer: Api, catalog: dict[str, int]) -> None:
    babe = catalog["Babe"]
    ok(viewer, babe, 1000, at=10)
    stale = ok(viewer, babe, 500, at=5)  # arrives late, was sent earlier
    assert stale["positionSeconds"] == 1000  # the answer is what is stored
    ok(viewer, babe, 1200, at=20)
    ok(viewer, babe, 1200, at=20)  # a duplicate changes nothing
    assert viewer.data(PROGRESS, id=str(babe))["video"]["progress"]["positionSeconds"] == 1200


def test_ties_are_broken_deterministically(viewer: Api, catalog: dict[str, int]) -> None:
    babe = catalog["Babe"]
    ok(viewer, babe, 1000, at=10, device="b-device")
    ok(viewer, babe, 2000, at=10, device="a-device")  # same instant: "b-device" sorts later
    assert ok(viewer, babe, 3000, at=10, device="a-device")["positionSeconds"] == 1000


def test_completed_and_not_started_titles_stay_out_of_continue_watching(
    viewer: Api, catalog: dict[str, int]
) -> None:
    ok(viewer, catalog["Babe"], 5800, at=1)  # 96.7%: completed
    ok(viewer, catalog["Toy Story"], 200, at=2)  # 3.3%: not started
    ok(viewer, catalog["Twelve Monkeys"], 3000, at=3)  # 50%
    assert _continue(viewer) == [("Twelve Monkeys", None, 3000)]
    done = viewer.data(PROGRESS, id=str(catalog["Babe"]))["video"]["progress"]
    assert done == {"positionSeconds": 5800, "completed": True}


def test_continue_watching_is_most_recent_first_and_capped(
    viewer: Api, catalog: dict[str, int]
) -> None:
    for at, title in enumerate(["Toy Story", "Babe", "Twelve Monkeys"]):
        ok(viewer, catalog[title], 3000, at=at)
    assert [title for title, _, _ in _continue(viewer)] == ["Twelve Monkeys", "Babe", "Toy Story"]
    first = viewer.data("{ continueWatching(first: 1) { video { title } } }")
    assert first == {"continueWatching": [{"video": {"title": "Twelve Monkeys"}}]}
    assert viewer.error_code("{ continueWatching(first: 21) { percentComplete } }") == (
        "BAD_USER_INPUT"
    )


def test_series_advance_across_seasons_and_complete(viewer: Api, catalog: dict[str, int]) -> None:
    series = catalog["Harbour Nights"]
    episodes = [
        episode
        for season in viewer.data(EPISODES, id=str(series))["video"]["seasons"]
        for episode in season["episodes"]
    ]
    ids = [episode["id"] for episode in episodes]
    ok(viewer, series, 600, at=1, episodeId=ids[0], duration=2700)
    assert _continue(viewer) == [("Harbour Nights", "S1E1", 600)]
    ok(viewer, series, 2650, at=2, episodeId=ids[2], duration=2700)  # finishes season 1
    assert _continue(viewer) == [("Harbour Nights", "S2E1", 0)]
    ok(viewer, series, 2690, at=3, episodeId=ids[5], duration=2700)  # the last episode
    assert _continue(viewer) == []
    standing = viewer.data(PROGRESS, id=str(series))["video"]["progress"]
    assert standing["completed"] is True
    watched = viewer.data(EPISODES, id=str(series))["video"]["seasons"][0]["episodes"]
    assert [e["progress"] and e["progress"]["positionSeconds"] for e in watched] == [
        600,
        None,
        2650,
    ]


def test_hide_lasts_until_watched_again(viewer: Api, catalog: dict[str, int]) -> None:
    monkeys = catalog["Twelve Monkeys"]
    ok(viewer, monkeys, 3000, at=1)
    hide = "mutation($id: ID!) { hideFromContinueWatching(videoId: $id) }"
    assert viewer.data(hide, id=str(monkeys)) == {"hideFromContinueWatching": True}
    assert _continue(viewer) == []
    ok(viewer, monkeys, 3100, at=(datetime.now(UTC) - T0).total_seconds() + 1)
    assert _continue(viewer) == [("Twelve Monkeys", None, 3100)]


def test_history_lists_started_and_completed_titles(viewer: Api, catalog: dict[str, int]) -> None:
    ok(viewer, catalog["Babe"], 5900, at=1)
    ok(viewer, catalog["Toy Story"], 10, at=2)  # not started: not history
    ok(viewer, catalog["Twelve Monkeys"], 3000, at=3)
    history = viewer.data(
        "{ viewingHistory(first: 10) { totalCount edges { node { video { title } completed } } } }"
    )["viewingHistory"]
    assert history["totalCount"] == 2
    assert [(e["node"]["video"]["title"], e["node"]["completed"]) for e in history["edges"]] == [
        ("Twelve Monkeys", False),
        ("Babe", True),
    ]


def test_continue_watching_follows_the_profile_maturity(
    viewer: Api, catalog: dict[str, int]
) -> None:
    ok(viewer, catalog["The Godfather"], 3000, at=1)
    ok(viewer, catalog["Babe"], 3000, at=2)
    profile = viewer.data("{ me { activeProfile { id } } }")["me"]["activeProfile"]["id"]
    viewer.data(
        "mutation($id: ID!) { updateProfile(id: $id, input: {maturityLevel: 2}) { id } }",
        id=profile,
    )
    assert [title for title, _, _ in _continue(viewer)] == ["Babe"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"position": -1}, "BAD_USER_INPUT"),
        ({"position": 6001}, "BAD_USER_INPUT"),
        ({"duration": 0}, "BAD_USER_INPUT"),
        ({"duration": -5}, "BAD_USER_INPUT"),
        ({"at_future": 301}, "BAD_USER_INPUT"),
        ({"device": ""}, "BAD_USER_INPUT"),
        ({"video": 999999}, "NOT_FOUND"),
        ({"video": "abc"}, "BAD_USER_INPUT"),
        ({"episodeId": "1"}, "BAD_USER_INPUT"),  # a movie has no episodes
    ],
)
def test_bad_updates_are_refused_and_change_nothing(
    viewer: Api, catalog: dict[str, int], change: dict[str, Any], code: str
) -> None:
    babe = catalog["Babe"]
    ok(viewer, babe, 1000, at=1)
    video = change.pop("video", babe)
    position = change.pop("position", 2000)
    at = 2.0
    if "at_future" in change:
        at = (datetime.now(UTC) - T0).total_seconds() + change.pop("at_future")
    body = send(viewer, video, position, at=at, **change)
    assert body["errors"][0]["extensions"]["code"] == code
    assert viewer.data(PROGRESS, id=str(babe))["video"]["progress"]["positionSeconds"] == 1000


def test_series_updates_need_an_episode_of_that_series(
    viewer: Api, catalog: dict[str, int]
) -> None:
    series = catalog["Harbour Nights"]
    assert send(viewer, series, 10, at=1)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    stranger = send(viewer, series, 10, at=1, episodeId="999999")
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_kids_cannot_record_progress_on_mature_titles(api: Api, catalog: dict[str, int]) -> None:
    api.viewer_with_profile("kid@example.com", isKids=True)
    body = send(api, catalog["The Godfather"], 10, at=1)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_another_device_sees_the_newest_position(
    viewer: Api, catalog: dict[str, int], make_api: Any
) -> None:
    ok(viewer, catalog["Babe"], 1234, at=1, device="phone")
    second_device = make_api()
    second_device.token = viewer.token  # the same profile on another device
    progress = second_device.data(PROGRESS, id=str(catalog["Babe"]))["video"]["progress"]
    assert progress["positionSeconds"] == 1234


def test_playback_events_are_validated_as_a_batch(viewer: Api, catalog: dict[str, int]) -> None:
    report = "mutation($events: [PlaybackEventInput!]!) { reportPlaybackEvents(events: $events) }"
    now = datetime.now(UTC).isoformat()
    good = {"type": "START", "videoId": str(catalog["Babe"]), "at": now}
    assert viewer.data(report, events=[good, {**good, "type": "FIRST_FRAME"}]) == {
        "reportPlaybackEvents": 2
    }
    stale = {**good, "at": (datetime.now(UTC) - timedelta(days=2)).isoformat()}
    assert viewer.error_code(report, events=[good, stale]) == "BAD_USER_INPUT"
    assert viewer.error_code(report, events=[]) == "BAD_USER_INPUT"
    assert viewer.error_code(report, events=[{**good, "videoId": "999999"}]) == "NOT_FOUND"


def test_qoe_events_become_prometheus_metrics(viewer: Api, catalog: dict[str, int]) -> None:
    report = "mutation($events: [PlaybackEventInput!]!) { reportPlaybackEvents(events: $events) }"
    now = datetime.now(UTC).isoformat()
    video = str(catalog["Babe"])
    before = viewer.metrics().text
    viewer.data(
        report,
        events=[
            {"type": "START", "videoId": video, "at": now},
            {"type": "FIRST_FRAME", "videoId": video, "at": now, "durationMs": 420},
            {"type": "REBUFFER_START", "videoId": video, "at": now},
            {"type": "BITRATE_SWITCH", "videoId": video, "at": now, "bitrateKbps": 2350},
            {"type": "ERROR", "videoId": video, "at": now, "errorCode": "6007"},
        ],
    )
    after = viewer.metrics().text

    def value(text: str, sample: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(sample + " ")]
        return float(lines[0].split()[-1]) if lines else 0.0

    for sample in (
        'streaming_starts_total{country="US"}',
        'streaming_buffer_events_total{country="US"}',
        'streaming_playback_errors_total{code="6007"}',
        "streaming_bitrate_kbps_count",
        "flix_time_to_first_frame_seconds_count",
    ):
        assert value(after, sample) == value(before, sample) + 1, sample


UP_NEXT = """query($id: ID!) { video(id: $id) { upNext { id title }
  progress { positionSeconds completed episode { id title } } } }"""


def _episode_ids(api: Api, series: int) -> list[str]:
    seasons = api.data(EPISODES, id=str(series))["video"]["seasons"]
    return [episode["id"] for season in seasons for episode in season["episodes"]]


def _up_next(api: Api, video: int) -> tuple[str | None, dict[str, Any] | None]:
    found = api.data(UP_NEXT, id=str(video))["video"]
    return (found["upNext"] or {}).get("title"), found["progress"]


def test_up_next_and_the_standing_episode_follow_the_viewing_rules(
    viewer: Api, catalog: dict[str, int]
) -> None:
    series = catalog["Harbour Nights"]
    ids = _episode_ids(viewer, series)
    assert _up_next(viewer, series) == ("S1E1", None)  # not started: the first episode
    assert _up_next(viewer, catalog["Babe"]) == (None, None)  # a movie has none

    sent = viewer.data(
        """mutation($input: ProgressInput!) { updateProgress(input: $input) {
          positionSeconds episode { id } } }""",
        input={
            "videoId": str(series),
            "episodeId": ids[1],
            "positionSeconds": 600,
            "durationSeconds": 2700,
            "clientTimestamp": client_time(1),
            "deviceId": "tv-1",
        },
    )["updateProgress"]
    assert sent == {"positionSeconds": 600, "episode": {"id": ids[1]}}
    assert _up_next(viewer, series) == (
        "S1E2",
        {"positionSeconds": 600, "completed": False, "episode": {"id": ids[1], "title": "S1E2"}},
    )

    ok(viewer, series, 2600, at=2, episodeId=ids[2], duration=2700)  # 96%: S1E3 is finished
    assert _up_next(viewer, series) == (
        "S2E1",
        {"positionSeconds": 0, "completed": False, "episode": {"id": ids[3], "title": "S2E1"}},
    )

    ok(viewer, series, 2690, at=3, episodeId=ids[5], duration=2700)  # the last episode
    title, standing = _up_next(viewer, series)
    assert title is None and standing is not None
    assert standing["completed"] is True and standing["episode"]["id"] == ids[5]

    ok(viewer, catalog["Babe"], 3000, at=4)
    assert _up_next(viewer, catalog["Babe"]) == (
        None,
        {"positionSeconds": 3000, "completed": False, "episode": None},
    )


def test_episode_slots_are_read_once_per_request(
    viewer: Api, catalog: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasources import catalog as catalog_store

    calls: list[list[int]] = []
    real = catalog_store.episode_slots

    async def counted(engine: Any, video_ids: Any) -> Any:
        calls.append(list(video_ids))
        return await real(engine, video_ids)

    monkeypatch.setattr(catalog_store, "episode_slots", counted)
    series = str(catalog["Harbour Nights"])
    both = viewer.data(
        "query($id: ID!) { a: video(id: $id) { upNext { id } }"
        " b: video(id: $id) { upNext { id } } }",
        id=series,
    )
    assert both["a"] == both["b"] and both["a"]["upNext"] is not None
    assert calls == [[int(series)]]


def test_a_heartbeat_that_lands_is_answered_without_reading_it_back(
    viewer: Api, catalog: dict[str, int], count_statements: Callable[[], int]
) -> None:
    # Counted in PostgreSQL: on Cassandra the write and the read-back go there, and
    # PostgreSQL (the title, the viewer) sees nothing at all.
    on_postgres = Settings().viewing_store == "postgres"
    babe = catalog["Babe"]
    ok(viewer, babe, 1000, at=10)  # warms the caches: the title, the viewer
    before = count_statements()
    landed = ok(viewer, babe, 1100, at=11)
    # The group-committed write, nothing else.
    assert count_statements() - before == (1 if on_postgres else 0)
    assert landed["positionSeconds"] == 1100
    before = count_statements()
    assert ok(viewer, babe, 900, at=9)["positionSeconds"] == 1100  # stale: read back
    assert count_statements() - before == (2 if on_postgres else 0)
