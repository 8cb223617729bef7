"""The HTTP surface: health probes, body limits, malformed bodies, GraphiQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tests.helpers.api import Api


def test_healthz_and_readyz(api: Api) -> None:
    health = api.client.get("/healthz").json()
    assert health == {"status": "ok", "breakers": {"personalization": "closed"}}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    broker = api.client.app.state.stores.events.broker  # type: ignore[attr-defined]
    assert broker in ("nats", "kafka")  # the check is named after the broker in use
    assert ready.json()["stores"] == {"postgres": True, "redis": True, broker: True}


def test_graphiql_is_served(api: Api) -> None:
    page = api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_oversized_body_is_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_body_bytes=2048)
    response = api.post({"query": "{ me { id } }", "variables": {"pad": "x" * 4096}})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_oversized_streamed_body_is_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_body_bytes=2048)

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ me { id } }", "pad": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    response = api.client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_malformed_json_is_400_with_a_clear_message(api: Api) -> None:
    response = api.client.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "JSON" in error["message"]


def test_request_id_is_echoed(api: Api) -> None:
    response = api.client.get("/healthz", headers={"x-request-id": "client-abc-123"})
    assert response.headers["x-request-id"] == "client-abc-123"
    generated = api.client.get("/healthz", headers={"x-request-id": "bad id!"})
    assert generated.headers["x-request-id"] != "bad id!"


def test_sdl_carries_the_directives(api: Api) -> None:
    from schema.assembly import build_schema

    sdl = build_schema().as_str()
    assert "directive @auth(roles: [String!]!) on FIELD_DEFINITION" in sdl
    assert "directive @maturity on FIELD_DEFINITION" in sdl
    assert 'createVideo(input: VideoInput!): Video! @auth(roles: ["content_admin", "admin"])' in sdl
    assert "video(id: ID!): Video @auth(roles: []) @maturity" in sdl
