"""Bad input is refused at the edge as BAD_USER_INPUT, before anything reaches a store:
control characters and over-long text in any argument, forged cursors, bodies that are not
a JSON object, invalid UTF-8, and an oversized or deeply nested license request."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from core.text import FREE_TEXT_MAX, LINE_MAX
from tests.helpers.api import Api
from tests.helpers.stores import REDIS_URL

SEARCH = "query($q: String!) { search(query: $q, first: 5) { totalCount } }"
VIDEOS = "query($genre: String) { videos(first: 5, genre: $genre) { totalCount } }"
CREATE = "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }"
LOGIN = 'mutation($email: String!) { login(email: $email, password: "whatever pass") { token } }'
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { token } }"
CONTROL = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\t", "\n", "\r"]


@pytest.fixture
def viewer(api: Api, catalog: dict[str, int]) -> Api:
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    return api


def _code(response: Any) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest.mark.parametrize("bad", CONTROL)
def test_control_characters_in_single_line_arguments(viewer: Api, bad: str) -> None:
    assert viewer.error_code(SEARCH, q=f"toy{bad}story") == "BAD_USER_INPUT"
    assert viewer.error_code(VIDEOS, genre=f"Drama{bad}") == "BAD_USER_INPUT"
    for field in ("name", "language"):
        profile = {"name": "Kid", field: f"en{bad}x"}
        assert viewer.error_code(CREATE, input=profile) == "BAD_USER_INPUT"
    viewer.forget_session()
    assert viewer.error_code(LOGIN, email=f"ada{bad}@example.com") == "BAD_USER_INPUT"
    registration = {"email": f"b{bad}@example.com", "password": "long enough pass"}
    registration |= {"country": "US", "plan": "BASIC"}
    assert viewer.error_code(REGISTER, input=registration) == "BAD_USER_INPUT"


def test_a_nul_in_a_literal_of_the_document_is_bad_input(viewer: Api) -> None:
    query = '{ search(query: "toy\\u0000story", first: 5) { totalCount } }'
    assert viewer.error_code(query) == "BAD_USER_INPUT"
    listed = '{ videos(first: 5, genre: "\\u0000") { totalCount } }'
    assert viewer.error_code(listed) == "BAD_USER_INPUT"


def test_a_lone_surrogate_escape_is_bad_input(viewer: Api) -> None:
    # JSON may escape half a surrogate pair; no UTF-8 store can hold it.
    body = b'{"query": "query($q: String!) { search(query: $q) { totalCount } }",'
    body += b' "variables": {"q": "toy\\ud800story"}}'
    bearer = {"authorization": f"Bearer {viewer.token}", "content-type": "application/json"}
    response = viewer.client.post("/graphql", content=body, headers=bearer)
    assert _code(response) == "BAD_USER_INPUT", response.text


def test_over_long_arguments_are_bad_input(viewer: Api) -> None:
    long = "a" * (LINE_MAX + 1)
    assert viewer.error_code(SEARCH, q=long) == "BAD_USER_INPUT"
    assert viewer.error_code(VIDEOS, genre=long) == "BAD_USER_INPUT"
    avatar = {"name": "Kid", "avatarUrl": "https://example.com/" + long}
    assert viewer.error_code(CREATE, input=avatar) == "BAD_USER_INPUT"
    assert viewer.data(VIDEOS, genre="a" * LINE_MAX)["videos"]["totalCount"] == 0


def test_free_text_takes_line_breaks_but_no_other_controls(
    viewer: Api, catalog: dict[str, int]
) -> None:
    report = "mutation($events: [PlaybackEventInput!]!) { reportPlaybackEvents(events: $events) }"
    now = datetime.now(UTC).isoformat()
    event = {"type": "ERROR", "videoId": str(catalog["Babe"]), "at": now}
    ok = {**event, "message": "line one\r\n\tline two"}
    assert viewer.data(report, events=[ok])["reportPlaybackEvents"] == 1
    assert viewer.error_code(report, events=[{**event, "message": "bell\x07"}]) == "BAD_USER_INPUT"
    too_long = {**event, "message": "a" * (FREE_TEXT_MAX + 1)}
    assert viewer.error_code(report, events=[too_long]) == "BAD_USER_INPUT"
    # The error code is a tag, not free text: no line breaks there.
    assert viewer.error_code(report, events=[{**event, "errorCode": "6007\n"}]) == "BAD_USER_INPUT"


def test_nothing_runs_when_one_argument_is_bad(viewer: Api) -> None:
    both = """mutation($a: CreateProfileInput!, $b: CreateProfileInput!) {
      a: createProfile(input: $a) { id } b: createProfile(input: $b) { id } }"""
    body = viewer.gql(both, a={"name": "Fine"}, b={"name": "Bad\x00"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body.get("data") is None
    names = [p["name"] for p in viewer.data("{ me { profiles { name } } }")["me"]["profiles"]]
    assert "Fine" not in names


@pytest.mark.parametrize(
    "cursor",
    [
        "forged",
        base64.urlsafe_b64encode(b"offset:-1").decode(),
        base64.urlsafe_b64encode(b"offset:" + b"9" * 30).decode(),
        base64.urlsafe_b64encode(b"offset:1e9").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "é",
    ],
)
def test_a_forged_cursor_is_bad_input_on_every_connection(viewer: Api, cursor: str) -> None:
    for query in (
        "query($a: String) { videos(first: 2, after: $a) { totalCount } }",
        'query($a: String) { search(query: "toy", first: 2, after: $a) { totalCount } }',
        "query($a: String) { myList(first: 2, after: $a) { totalCount } }",
        "query($a: String) { viewingHistory(first: 2, after: $a) { totalCount } }",
    ):
        assert viewer.error_code(query, a=cursor) == "BAD_USER_INPUT", query


@pytest.mark.parametrize(
    "body",
    [
        b'"a string"',
        b"42",
        b"null",
        b"true",
        b"[]",
        b'[{"query": "{ __typename }"}]',
        b'{"query": "{ __typename }", "x": "\xff"}',
        b"\xc3\x28",
        b"[" * 100_000,
    ],
)
def test_bodies_that_are_not_a_json_object_are_400_in_graphqls_shape(api: Api, body: bytes) -> None:
    response = api.client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert _code(response) == "BAD_USER_INPUT"
    assert set(response.json()) == {"errors"}


def test_license_requests_nested_deep_or_oversized_are_400_json(
    viewer: Api, catalog: dict[str, int]
) -> None:
    url = f"/drm/clearkey/license?video={catalog['Babe']}"
    bearer = {"authorization": f"Bearer {viewer.token}"}
    for body in (b"[" * 10_000 + b"]" * 10_000, b'{"kids": ["' + b"a" * 100_000 + b'"]}'):
        response = viewer.client.post(url, content=body, headers=bearer)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert _code(response) == "BAD_USER_INPUT"


def test_sign_in_checks_the_email_and_stores_no_huge_rate_limit_key(api: Api) -> None:
    huge = "a" * 900_000 + "@example.com"
    assert api.error_code(LOGIN, email=huge) == "BAD_USER_INPUT"
    # Within the length bound but not an email: refused the way registration refuses it.
    assert api.error_code(LOGIN, email="not an email") == "BAD_USER_INPUT"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert not [key for key in client.scan_iter(count=1000) if len(key) > 1000]
        assert not [key for key in client.scan_iter(count=1000) if b"not an email" in key]
    finally:
        client.close()
