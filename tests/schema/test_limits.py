"""Document limits, error codes and masking of unexpected errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import structlog

from resolvers import catalog
from tests.helpers.api import Api


def test_depth_limit(make_api: Callable[..., Api]) -> None:
    api = make_api(max_query_depth=3)
    body = api.gql("{ videos(first: 1) { edges { node { seasons { title } } } } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "depth" in body["errors"][0]["message"]
    assert body.get("data") is None


def test_default_depth_allows_real_documents(api: Api) -> None:
    api.viewer_with_profile("ada@example.com")
    api.data("{ videos(first: 1) { edges { node { seasons { episodes { title } } } } } }")


def test_alias_limit(api: Api) -> None:
    aliases = " ".join(f"a{i}: me {{ id }}" for i in range(16))
    body = api.gql(f"{{ {aliases} }}")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "aliases" in body["errors"][0]["message"]
    fifteen = " ".join(f"a{i}: me {{ id }}" for i in range(15))
    assert "errors" not in api.gql(f"{{ {fifteen} }}")


def test_token_limit(api: Api) -> None:
    fields = " ".join(["__typename"] * 2001)
    body = api.gql(f"{{ {fields} }}")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "token" in body["errors"][0]["message"].lower()


def test_invalid_documents_are_bad_user_input(api: Api) -> None:
    assert api.error_code("{ nope }") == "BAD_USER_INPUT"
    assert api.error_code("{ me { ") == "BAD_USER_INPUT"
    assert api.error_code("query($id: ID!) { video(id: $id) { id } }") == "BAD_USER_INPUT"


def test_unexpected_errors_are_masked_with_a_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.viewer_with_profile("ada@example.com")

    async def broken(*_: object) -> list[str]:
        raise RuntimeError("secret connection string leaked here")

    monkeypatch.setattr(catalog, "genres", broken)
    with structlog.testing.capture_logs() as logs:
        response = api.post({"query": "{ genres }"})
    error = response.json()["errors"][0]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert "secret" not in response.text and request_id in error["message"]
    [logged] = [entry for entry in logs if entry["event"] == "unexpected error"]
    assert logged["request_id"] == request_id
    assert "secret connection string" in str(logged["exc_info"][1])
