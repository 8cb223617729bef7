"""A planned heartbeat (schema/viewing/heartbeat_plan.py) answers what the executor answers.

Two documents that differ only where it cannot matter: ``PLANNED`` is planned once the
executor has answered it, ``EXECUTED`` never is (a directive on a selected field). Every
answer of the first, after it was planned, must be the second's, status and body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2 as httpx
from prometheus_client import REGISTRY

from tests.helpers.api import Api
from tests.helpers.progress import client_time

PLANNED = """mutation($input: ProgressInput!) {
  updateProgress(input: $input) {
    positionSeconds durationSeconds percentComplete
    completed
  }
}"""
EXECUTED = """mutation($input: ProgressInput!) {
  updateProgress(input: $input) {
    positionSeconds durationSeconds percentComplete
    completed @include(if: true)
  }
}"""


def _answered_by(who: str) -> float:
    sample = REGISTRY.get_sample_value("flix_heartbeat_plans_total", {"answered_by": who})
    return sample or 0.0


def _heartbeat(video: int | str, position: float = 600, **changes: Any) -> dict[str, Any]:
    return {
        "videoId": str(video),
        "positionSeconds": position,
        "durationSeconds": 6000.0,
        "clientTimestamp": client_time(position),
        "deviceId": "tv-1",
        **changes,
    }


def _both(api: Api, heartbeat: dict[str, Any]) -> tuple[httpx.Response, httpx.Response]:
    planned = api.post({"query": PLANNED, "variables": {"input": heartbeat}})
    executed = api.post({"query": EXECUTED, "variables": {"input": heartbeat}})
    return planned, executed


def _same(planned: httpx.Response, executed: httpx.Response) -> dict[str, Any]:
    assert planned.status_code == executed.status_code
    body: dict[str, Any] = planned.json()
    assert body == executed.json()
    return body


def _code(body: dict[str, Any]) -> str:
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def test_a_planned_heartbeat_answers_as_the_executor_does(
    api: Api, catalog: dict[str, int]
) -> None:
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    babe, toy_story = catalog["Babe"], catalog["Toy Story"]
    assert (
        "errors"
        not in api.post({"query": PLANNED, "variables": {"input": _heartbeat(babe)}}).json()
    )
    by_plan = _answered_by("plan")

    # A new position, then a stale one (answered with what is stored), on a title each.
    for position in (1200, 300):
        planned = api.post({"query": PLANNED, "variables": {"input": _heartbeat(babe, position)}})
        executed = api.post(
            {"query": EXECUTED, "variables": {"input": _heartbeat(toy_story, position)}}
        )
        assert _same(planned, executed)["data"]["updateProgress"]["positionSeconds"] == 1200
    assert _answered_by("plan") == by_plan + 2

    # The resolver's refusals, located at the field, with no data.
    missing = _same(*_both(api, _heartbeat(999_999)))
    assert (_code(missing), missing["data"]) == ("NOT_FOUND", None)
    assert missing["errors"][0]["path"] == ["updateProgress"]
    assert _code(_same(*_both(api, _heartbeat(babe, deviceId="tv 1")))) == "BAD_USER_INPUT"
    assert _code(_same(*_both(api, _heartbeat(babe, positionSeconds=7000)))) == "BAD_USER_INPUT"
    assert _answered_by("plan") == by_plan + 5

    # What the plan hands to the executor: variables that do not coerce or are refused.
    executor = _answered_by("executor")
    assert _code(_same(*_both(api, _heartbeat(babe, positionSeconds="soon")))) == "BAD_USER_INPUT"
    assert _code(_same(*_both(api, _heartbeat(babe, deviceId="tv\x001")))) == "BAD_USER_INPUT"
    assert _answered_by("executor") == executor + 2
    assert _answered_by("plan") == by_plan + 5


def test_signed_out_and_limited_heartbeats_are_the_executors_to_answer(
    make_api: Callable[..., Api], catalog: dict[str, int]
) -> None:
    # progress: a burst of 3 at this scale (auth/rate_policies.py).
    api = make_api(rate_limit_scale=0.2)
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    babe = catalog["Babe"]
    assert (
        "errors"
        not in api.post({"query": PLANNED, "variables": {"input": _heartbeat(babe)}}).json()
    )
    executor = _answered_by("executor")
    planned = api.post({"query": PLANNED, "variables": {"input": _heartbeat(babe, 700)}})
    assert "errors" not in planned.json()
    limited = [
        api.post({"query": document, "variables": {"input": _heartbeat(babe, 800)}})
        for document in (PLANNED, PLANNED, EXECUTED)
    ]
    assert "errors" not in limited[0].json()  # the third of the burst
    assert [response.status_code for response in limited[1:]] == [429, 429]
    assert [_code(response.json()) for response in limited[1:]] == ["RATE_LIMITED"] * 2
    assert _answered_by("executor") == executor + 1

    api.forget_session()
    assert _code(_same(*_both(api, _heartbeat(babe, 900)))) == "UNAUTHENTICATED"
    assert _answered_by("executor") == executor + 2
