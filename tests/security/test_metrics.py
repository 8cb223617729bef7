"""/metrics: the bearer token, or loopback when none is set, and every label from a closed set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from resolvers.playback.qoe_metrics import country_label, error_code_label
from tests.helpers.api import Api

REPORT = "mutation($events: [PlaybackEventInput!]!) { reportPlaybackEvents(events: $events) }"


def test_metrics_refuse_a_remote_client_without_the_token(api: Api) -> None:
    # The TestClient's client host is "testclient": a remote client, as far as the app knows.
    for token in (None, "wrong-token", ""):
        response = api.metrics(token)
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert api.client.get("/metrics", headers={"authorization": "Basic abc"}).status_code == 403
    assert api.metrics().status_code == 200


def test_without_a_token_setting_only_loopback_is_let_in(make_api: Callable[..., Api]) -> None:
    api = make_api(metrics_token=None)
    assert api.metrics("anything").status_code == 403
    assert api.metrics(None).status_code == 403


def test_loopback_clients_need_no_token_when_none_is_set(make_api: Callable[..., Api]) -> None:
    app = make_api(metrics_token=None).client.app
    # A scraper beside the process: its address is loopback, v4, v6 or v4-mapped.
    for host in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert TestClient(app, client=(host, 50000)).get("/metrics").status_code == 200
    assert TestClient(app, client=("10.0.0.7", 50000)).get("/metrics").status_code == 403


def test_with_a_token_set_loopback_needs_it_too(api: Api) -> None:
    # Behind a reverse proxy on the same host every client is loopback.
    loopback = TestClient(api.client.app, client=("127.0.0.1", 50000))
    assert loopback.get("/metrics").status_code == 403


def test_client_chosen_error_codes_do_not_become_labels(api: Api, catalog: dict[str, int]) -> None:
    api.viewer_with_profile("ada@example.com")
    now = datetime.now(UTC).isoformat()
    chosen = [f"made-up-{i}" for i in range(20)]
    events = [
        {"type": "ERROR", "videoId": str(catalog["Babe"]), "at": now, "errorCode": code}
        for code in chosen
    ]
    assert api.data(REPORT, events=events)["reportPlaybackEvents"] == 20
    text = api.metrics().text
    assert not any(code in text for code in chosen)
    assert 'streaming_playback_errors_total{code="other"}' in text


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("6007", "6007"),
        ("SHAKA_1002", "SHAKA_1002"),
        ("SHAKA_11001", "SHAKA_11001"),
        ("PLAYER", "PLAYER"),
        (None, "unknown"),
        ("", "unknown"),
        ("12007", "other"),
        ("6107", "other"),
        ("SHAKA_6007x", "other"),
        ("x" * 100, "other"),
    ],
)
def test_error_code_labels_are_a_closed_set(code: str | None, label: str) -> None:
    assert error_code_label(code) == label


def test_country_labels_are_a_closed_set() -> None:
    assert country_label("US") == "US"
    assert country_label("us") == "other"
    assert country_label("USA") == "other"
