"""Error codes and masking through the gateway: what the merged schema answers, unchanged."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from resolvers import catalog as catalog_use_cases
from tests.federation.conftest import Federation
from tests.helpers.api import Api
from tests.helpers.experiments import CREATE, experiment_definition

SELECT = "mutation($id: ID!) { selectProfile(id: $id) { id } }"
SEARCH = '{ search(query: "toy") { totalCount } }'


def _codes(api: Api, query: str, **variables: Any) -> list[str | None]:
    body = api.gql(query, **variables)
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]


def _same_codes(federation: Federation, gateway: Api, query: str, **variables: Any) -> str:
    merged = federation.same_viewer(gateway, federation.merged)
    through = _codes(gateway, query, **variables)
    assert through == _codes(merged, query, **variables)
    [code] = through
    assert code is not None
    return code


def test_error_codes_arrive_unchanged(federation: Federation) -> None:
    anonymous = federation.through_gateway()
    assert _same_codes(federation, anonymous, SEARCH) == "UNAUTHENTICATED"

    viewer = federation.through_gateway()
    viewer.viewer_with_profile("codes@example.com", maturityLevel=5)
    assert _same_codes(federation, viewer, SELECT, id=str(uuid.uuid4())) == "NOT_FOUND"
    too_long = {"name": "x" * 500}
    create_profile = "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }"
    assert _same_codes(federation, viewer, create_profile, input=too_long) == "BAD_USER_INPUT"
    definition = experiment_definition("homepage_rows")
    assert _same_codes(federation, viewer, CREATE, input=definition) == "FORBIDDEN"


def _deep(video_id: int, depth: int) -> str:
    inner = "title"
    for _ in range(depth - 1):
        inner = f"similar(first: 1) {{ {inner} }}"
    return f'{{ video(id: "{video_id}") {{ {inner} }} }}'


def test_documents_the_gateway_refuses_are_bad_user_input_too(
    federation: Federation, catalog: dict[str, int]
) -> None:
    viewer = federation.through_gateway()
    viewer.viewer_with_profile("documents@example.com", maturityLevel=5)
    refused = [
        "{ nope }",
        "{ me { ",
        "query($id: ID!) { video(id: $id) { id } }",
        "{ " + " ".join(["__typename"] * 2001) + " }",  # FLIX_MAX_TOKENS
        _deep(catalog["Toy Story"], 11),  # FLIX_MAX_QUERY_DEPTH
    ]
    for document in refused:
        assert _same_codes(federation, viewer, document) == "BAD_USER_INPUT", document
    # The deepest document allowed is the same one both ways.
    assert "errors" not in viewer.gql(_deep(catalog["Toy Story"], 10))


def test_unexpected_errors_are_masked_with_the_request_id(
    federation: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = federation.through_gateway()
    gateway.viewer_with_profile("masked@example.com")

    async def broken(*_: object) -> list[str]:
        raise RuntimeError("secret connection string leaked here")

    monkeypatch.setattr(catalog_use_cases, "genres", broken)
    for api in (gateway, federation.same_viewer(gateway, federation.merged)):
        request_id = f"req-{uuid.uuid4().hex[:12]}"
        response = api.client.post(
            "/graphql",
            json={"query": "{ genres }"},
            headers={"authorization": f"Bearer {api.token}", "x-request-id": request_id},
        )
        [error] = response.json()["errors"]
        # The gateway adds which subgraph answered (README, Federation: known differences).
        extensions = {k: v for k, v in error["extensions"].items() if k != "serviceName"}
        assert extensions == {"code": "INTERNAL", "requestId": request_id}
        assert request_id in error["message"] and "secret" not in response.text
        assert response.headers["x-request-id"] == request_id
