"""`flix serve --federated`: the web client's same-origin /graphql, answered by the gateway."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import cast

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.processes import HOST, free_port
from tests.federation.conftest import REGISTRATIONS_PER_IP
from tests.helpers.api import Api
from tests.helpers.live_app import LiveApp
from tests.helpers.stores import settings_for

LOGIN = (
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { account { email } } }"
)
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { token } }"
HOMEPAGE = "{ homepage(rows: 3, itemsPerRow: 2) { rows { kind items { title inMyList } } } }"
CREATE_PROFILE = "mutation($input: CreateProfileInput!) { createProfile(input: $input) { name } }"


@pytest.fixture
def browser(federated: LiveApp) -> Iterator[httpx.Client]:
    """A client of the server's own origin, keeping its cookies like a browser."""
    with httpx.Client(base_url=federated.url, timeout=30) as client:
        yield client


def _registration(email: str) -> dict[str, object]:
    return {"email": email, "password": "correct horse battery", "country": "US", "plan": "BASIC"}


def test_a_browser_session_goes_through_the_gateway(
    browser: httpx.Client, catalog: dict[str, int]
) -> None:
    api = Api(cast(TestClient, browser))
    api.register("web@example.com")
    api.forget_session()  # from here on the cookie alone says who is asking

    signed_in = api.post({"query": LOGIN, "variables": {"e": "web@example.com", "p": api.password}})
    assert signed_in.status_code == 200
    assert signed_in.json()["data"]["login"]["account"]["email"] == "web@example.com"
    assert re.search(r"flix_session=.+HttpOnly", signed_in.headers["set-cookie"], re.I)
    assert len(signed_in.headers.get_list("x-request-id")) == 1  # this server's, once

    profile = api.create_profile("Web", maturityLevel=5)
    api.select_profile(profile)
    assert api.data("{ me { email activeProfile { name } } }")["me"] == {
        "email": "web@example.com",
        "activeProfile": {"name": "Web"},
    }
    rows = api.data(HOMEPAGE)["homepage"]["rows"]
    assert rows and all(row["items"] for row in rows)

    # A gzipped answer arrives gzipped, and whole.
    page = browser.post("/graphql", json={"query": HOMEPAGE}, headers={"accept-encoding": "gzip"})
    assert page.json()["data"]["homepage"]["rows"] == rows


def test_a_retried_mutation_is_replayed_through_the_gateway(browser: httpx.Client) -> None:
    api = Api(cast(TestClient, browser))
    api.register("retry@example.com")
    body = {"query": CREATE_PROFILE, "variables": {"input": {"name": "Once"}}}
    headers = {"authorization": f"Bearer {api.token}", "idempotency-key": '"create-once-1"'}
    first = browser.post("/graphql", json=body, headers=headers)
    again = browser.post("/graphql", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert [p["name"] for p in api.data("{ me { profiles { name } } }")["me"]["profiles"]] == [
        "Once"
    ]


def test_per_ip_limits_count_the_client_not_the_proxy(browser: httpx.Client) -> None:
    def register(email: str, address: str) -> httpx.Response:
        body = {"query": REGISTER, "variables": {"input": _registration(email)}}
        # The test client is loopback, which uvicorn trusts to say who is behind it.
        return browser.post("/graphql", json=body, headers={"x-forwarded-for": address})

    for n in range(REGISTRATIONS_PER_IP):
        assert "errors" not in register(f"a{n}@example.com", "203.0.113.7").json()
    refused = register("a-more@example.com", "203.0.113.7")
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    # Another client behind the same proxy is not held back by the first one's tries.
    assert "errors" not in register("b@example.com", "203.0.113.8").json()


def test_no_gateway_is_a_clear_unavailable(clean_database: str, clean_redis: str) -> None:
    nowhere = f"http://{HOST}:{free_port()}"
    settings = settings_for(clean_database, clean_redis, gateway_url=nowhere)
    with TestClient(create_app(settings)) as client:
        response = client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
