"""GraphQL over HTTP's media types and status codes at /graphql: the spec's
``application/graphql-response+json`` to a client that names it (a request error is then a
4xx without data), ``application/json`` with its 200 for every other client."""

from __future__ import annotations

from collections.abc import Callable

import httpx2 as httpx
import pytest

from server.graphql_media import GRAPHQL_RESPONSE, JSON, negotiate
from tests.helpers.api import Api

NEW = {"accept": GRAPHQL_RESPONSE}
LEGACY = {"accept": JSON}

PARSE_ERROR = {"query": "{"}
VALIDATION_ERROR = {"query": "{ noSuchField }"}
COERCION_ERROR = {"query": "query($id: ID!) { __typename }", "variables": {"id": None}}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),  # a tie: the spec's own
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        ("text/html,application/xhtml+xml,*/*;q=0.8", JSON),  # a browser's
        (f"{GRAPHQL_RESPONSE};charset=utf-8", GRAPHQL_RESPONSE),
        ("text/plain", None),
        ("application/json;q=0", None),
        ("application/json;q=nonsense", None),
    ],
)
def test_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


def _post(api: Api, body: dict[str, object], headers: dict[str, str]) -> httpx.Response:
    return api.client.post("/graphql", json=body, headers=headers)


def test_success_in_either_media_type(api: Api) -> None:
    new = _post(api, {"query": "{ __typename }"}, NEW)
    assert new.status_code == 200
    assert new.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert new.json()["data"] == {"__typename": "Query"}
    assert "cost" in new.json()["extensions"]
    for headers in (LEGACY, {"accept": "*/*"}, {}):
        legacy = _post(api, {"query": "{ __typename }"}, headers)
        assert legacy.status_code == 200
        assert legacy.headers["content-type"] == JSON
        assert legacy.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("body", [PARSE_ERROR, VALIDATION_ERROR, COERCION_ERROR])
def test_request_errors_are_400_without_data_under_graphql_response_json(
    api: Api, body: dict[str, object]
) -> None:
    response = _post(api, body, NEW)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert answer["extensions"]["cost"] == 0


@pytest.mark.parametrize("body", [PARSE_ERROR, VALIDATION_ERROR, COERCION_ERROR])
def test_request_errors_stay_200_under_application_json(api: Api, body: dict[str, object]) -> None:
    response = _post(api, body, LEGACY)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    answer = response.json()
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_field_error_is_a_200_with_its_data(api: Api) -> None:
    # `videos` needs a session: the error is the field's, execution ran, so data is there.
    response = _post(api, {"query": "{ __typename videos(first: 1) { totalCount } }"}, NEW)
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None or answer["data"]["__typename"] == "Query"
    assert answer["errors"][0]["path"] == ["videos"]
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_unacceptable_accept_is_406(api: Api) -> None:
    response = _post(api, {"query": "{ __typename }"}, {"accept": "text/plain"})
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_an_unparsable_body_is_400_in_the_negotiated_type(api: Api) -> None:
    for headers, media_type in ((NEW, GRAPHQL_RESPONSE), (LEGACY, JSON)):
        response = api.client.post(
            "/graphql", content=b'{"not json', headers={**headers, "content-type": JSON}
        )
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(media_type)


def test_queries_over_get(api: Api) -> None:
    response = api.client.get("/graphql", params={"query": "{ __typename }"}, headers=NEW)
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    # The same URL answers in another type to another Accept: caches must keep both apart.
    assert "accept" in response.headers["vary"].lower()


def test_a_mutation_over_get_is_405_and_runs_nothing(api: Api) -> None:
    mutation = 'mutation { login(email: "a@example.com", password: "x") { token } }'
    for headers in (NEW, LEGACY):
        response = api.client.get("/graphql", params={"query": mutation}, headers=headers)
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_rate_limited_request_stays_429(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit_scale=1)
    login = 'mutation { login(email: "a@example.com", password: "wrong") { token } }'
    for _ in range(20):
        response = _post(api, {"query": login}, NEW)
        if response.status_code != 200:
            break
    assert response.status_code == 429 and "retry-after" in response.headers
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_a_document_over_its_cost_is_a_request_error(make_api: Callable[..., Api]) -> None:
    api = make_api(max_query_cost=1)
    body: dict[str, object] = {"query": "{ videos(first: 50) { edges { node { title } } } }"}
    refused = _post(api, body, NEW)
    assert refused.status_code == 400 and "data" not in refused.json()
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert _post(api, body, LEGACY).status_code == 200
