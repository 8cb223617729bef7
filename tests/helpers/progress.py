"""Progress journeys: heartbeats sent as a player sends them, and what Continue Watching shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers.api import Api

UPDATE = """mutation($input: ProgressInput!) {
  updateProgress(input: $input) { positionSeconds durationSeconds percentComplete completed }
}"""
CONTINUE = """{ continueWatching { video { id title } episode { id title }
  positionSeconds percentComplete } }"""
PROGRESS = "query($id: ID!) { video(id: $id) { progress { positionSeconds completed } } }"
EPISODES = """query($id: ID!) { video(id: $id) { seasons { episodes { id title
  progress { positionSeconds } } } } }"""
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def client_time(seconds: float) -> str:
    """A client timestamp, seconds after T0."""
    return (T0 + timedelta(seconds=seconds)).isoformat()


def send(api: Api, video: int, position: float, at: float, **extra: Any) -> dict[str, Any]:
    progress = {
        "videoId": str(video),
        "positionSeconds": position,
        "durationSeconds": extra.pop("duration", 6000.0),
        "clientTimestamp": client_time(at),
        "deviceId": extra.pop("device", "tv-1"),
        **extra,
    }
    return api.gql(UPDATE, input=progress)


def ok(api: Api, video: int, position: float, at: float, **extra: Any) -> dict[str, Any]:
    body = send(api, video, position, at, **extra)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["updateProgress"]
    return result
