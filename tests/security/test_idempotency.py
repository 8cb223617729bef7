"""Idempotency-Key on mutations (the IETF draft): a retry is answered from the record of the
first answer, byte for byte, and the work is done once; the same key for another request is
a 422, a retry while the first runs a 409; records last 24 hours, per account."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx2 as httpx
import pytest
import redis
from prometheus_client import REGISTRY

from auth.idempotency import IN_FLIGHT_TTL_SECONDS, KEY_MAX_LENGTH, RECORD_TTL_SECONDS
from tests.helpers.api import Api
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.stores import REDIS_URL

KEY = '"8e03978e-40d5-43e8-bc93-6894a57f9324"'  # an sf-string, as the draft writes keys
CREATE = "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id name } }"
DELETE = "mutation($id: ID!) { deleteProfile(id: $id) }"
PROFILES = "{ me { profiles { name } } }"
ADD = "mutation($id: ID!) { addToMyList(videoId: $id) { id inMyList } }"
RATE = "mutation($id: ID!, $r: Rating!) { rateTitle(videoId: $id, rating: $r) { myRating } }"
REPORT = "mutation($events: [PlaybackEventInput!]!) { reportPlaybackEvents(events: $events) }"
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { token } }"


def _send(
    api: Api,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    key: str | None = KEY,
    operation_name: str | None = None,
) -> httpx.Response:
    headers = {"authorization": f"Bearer {api.token}"} if api.token else {}
    if key is not None:
        headers["idempotency-key"] = key
    body = {"query": query, "variables": variables or {}, "operationName": operation_name}
    return api.client.post("/graphql", json=body, headers=headers)


def _records() -> dict[str, int]:
    """Every idempotency record in Redis, with its time to live in seconds."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return {key.decode(): client.ttl(key) for key in client.scan_iter("idempotency:*")}
    finally:
        client.close()


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def _profile_names(api: Api) -> list[str]:
    return [profile["name"] for profile in api.data(PROFILES)["me"]["profiles"]]


@contextmanager
def account_rows_locked(database_url: str) -> Iterator[None]:
    """Hold every account row FOR UPDATE from a connection of the test's own, as a slow
    transaction would: a createProfile waits on its account's row mid-request
    (datasources/profiles.py), so it stays in flight until the block ends."""
    locked, release = threading.Event(), threading.Event()

    async def hold() -> None:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
        try:
            async with connection.transaction():
                await connection.execute("SELECT id FROM accounts FOR UPDATE")
                locked.set()
                await asyncio.to_thread(release.wait)
        finally:
            await connection.close()

    holder = threading.Thread(target=asyncio.run, args=(hold(),))
    holder.start()
    try:
        assert locked.wait(30), "the account rows were never locked"
        yield
    finally:
        release.set()
        holder.join()


def test_a_retry_is_answered_byte_for_byte_and_the_profile_made_once(api: Api) -> None:
    api.register("ada@example.com")
    first = _send(api, CREATE, {"input": {"name": "Sam"}})
    retry = _send(api, CREATE, {"input": {"name": "Sam"}})
    assert first.status_code == retry.status_code == 200
    assert "errors" not in first.json()
    assert retry.content == first.content
    assert retry.headers["content-type"] == first.headers["content-type"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _profile_names(api) == ["Sam"]


def test_the_seeds_mutations_replay(api: Api, catalog: dict[str, int]) -> None:
    api.viewer_with_profile("ada@example.com")
    video = str(catalog["Babe"])
    start = {"type": "START", "videoId": video, "at": datetime.now(UTC).isoformat()}
    starts = {"country": "US"}
    before = REGISTRY.get_sample_value("streaming_starts_total", starts) or 0.0
    seeds: list[tuple[str, dict[str, Any]]] = [
        (ADD, {"id": video}),
        (RATE, {"id": video, "r": "THUMBS_UP"}),
        (REPORT, {"events": [start]}),
    ]
    for number, (query, variables) in enumerate(seeds):
        key = f'"seed-{number}"'
        first = _send(api, query, variables, key=key)
        retry = _send(api, query, variables, key=key)
        assert "errors" not in first.json(), first.json()
        assert (retry.status_code, retry.content) == (first.status_code, first.content)
        assert retry.headers["idempotent-replayed"] == "true"
    # The playback start was counted once, though it was sent twice.
    assert REGISTRY.get_sample_value("streaming_starts_total", starts) == before + 1


def test_the_same_key_for_another_request_is_422_and_changes_nothing(api: Api) -> None:
    api.register("ada@example.com")
    assert _send(api, CREATE, {"input": {"name": "Sam"}}).status_code == 200
    record = _records()
    others = [
        _send(api, CREATE, {"input": {"name": "Kim"}}),  # other variables
        _send(api, CREATE.replace("id name", "name id"), {"input": {"name": "Sam"}}),
        _send(  # another operation name (and so another document)
            api,
            CREATE.replace("mutation(", "mutation Named("),
            {"input": {"name": "Sam"}},
            operation_name="Named",
        ),
    ]
    for response in others:
        assert response.status_code == 422
        assert _code(response) == "BAD_USER_INPUT"
        assert "different request" in response.json()["errors"][0]["message"]
    assert _profile_names(api) == ["Sam"]
    assert _records().keys() == record.keys()  # the first answer is kept
    replay = _send(api, CREATE, {"input": {"name": "Sam"}})
    assert replay.headers["idempotent-replayed"] == "true"


def test_retries_while_the_first_runs_are_409_and_it_runs_once(
    api: Api, clean_database: str
) -> None:
    """Five identical requests at once: one claims the key and waits on the account row the
    test holds; the other four find it in flight. Only then is the row let go."""
    api.register("ada@example.com")
    variables = {"input": {"name": "Sam"}}
    with ThreadPoolExecutor(max_workers=5) as pool:
        with account_rows_locked(clean_database):
            sent = [pool.submit(_send, api, CREATE, variables) for _ in range(5)]
            answered = []
            for future in as_completed(sent):
                answered.append(future)
                if len(answered) == 4:
                    break
            for future in answered:
                busy = future.result()
                assert busy.status_code == 409
                assert _code(busy) == "CONFLICT"
                assert busy.headers["retry-after"] == "1"
            # Still in flight: a different request with the key is refused all the same.
            assert _send(api, CREATE, {"input": {"name": "Kim"}}).status_code == 422
            [marker_ttl] = _records().values()
            assert 0 < marker_ttl <= IN_FLIGHT_TTL_SECONDS
        [running] = [future for future in sent if future not in answered]
        first = running.result()
    assert first.status_code == 200
    assert "errors" not in first.json()
    assert _send(api, CREATE, variables).content == first.content
    assert _profile_names(api) == ["Sam"]


def test_records_last_24_hours(api: Api) -> None:
    api.register("ada@example.com")
    _send(api, CREATE, {"input": {"name": "Sam"}})
    [ttl] = _records().values()
    # Set to 24 h when stored; a minute's slack for a slow machine between the two calls.
    assert RECORD_TTL_SECONDS - 60 < ttl <= RECORD_TTL_SECONDS == 24 * 3600


def test_keys_are_per_account(api: Api, make_api: Any) -> None:
    api.register("ada@example.com")
    other = make_api()
    other.register("bob@example.com")
    mine = _send(api, CREATE, {"input": {"name": "Sam"}})
    theirs = _send(other, CREATE, {"input": {"name": "Sam"}})
    assert "idempotent-replayed" not in theirs.headers
    assert (
        theirs.json()["data"]["createProfile"]["id"] != mine.json()["data"]["createProfile"]["id"]
    )
    assert _profile_names(api) == _profile_names(other) == ["Sam"]
    assert len(_records()) == 2
    assert all(record.startswith("idempotency:account:") for record in _records())


def test_signed_out_keys_are_per_client_ip(api: Api) -> None:
    first = _send(api, CREATE, {"input": {"name": "Sam"}})
    assert _code(first) == "UNAUTHENTICATED"
    assert _send(api, CREATE, {"input": {"name": "Sam"}}).content == first.content
    [record] = _records()
    assert record.startswith("idempotency:ip:testclient:")


def test_errors_are_answers_too_and_are_replayed(api: Api) -> None:
    """The draft stores the first response whatever it says: a refused mutation replays
    its refusal, even once the cause is gone. A retry that should run needs a new key."""
    api.register("ada@example.com")
    sam = api.create_profile("Sam")
    refused = _send(api, CREATE, {"input": {"name": "Sam"}})
    assert refused.status_code == 200
    assert refused.json()["errors"][0]["extensions"]["code"] == "CONFLICT"
    api.data(DELETE, id=sam)
    replay = _send(api, CREATE, {"input": {"name": "Sam"}})
    assert replay.content == refused.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert _profile_names(api) == []
    assert "errors" not in _send(api, CREATE, {"input": {"name": "Sam"}}, key='"new"').json()


def test_sign_in_answers_are_never_stored(api: Api) -> None:
    """They carry the session (cookie and token): credentials stay out of the record."""
    registration = {"email": "ada@example.com", "password": "correct horse battery"}
    registration |= {"country": "US", "plan": "PREMIUM"}
    response = _send(api, REGISTER, {"input": registration})
    assert response.status_code == 200
    assert "set-cookie" in response.headers
    assert _records() == {}


@pytest.mark.parametrize(
    "bad",
    [
        "",
        '""',
        "a" * (KEY_MAX_LENGTH + 1),
        f'"{"a" * (KEY_MAX_LENGTH + 1)}"',
        "two words",
        '"unterminated',
        '"a"b"',
        '"bad \\escape"',
        '"tab\tinside"',
        "bell\x07",
        "del\x7f",
    ],
)
def test_malformed_keys_are_400_and_nothing_runs(api: Api, bad: str) -> None:
    api.register("ada@example.com")
    response = _send(api, CREATE, {"input": {"name": "Sam"}}, key=bad)
    assert response.status_code == 400
    assert _code(response) == "BAD_USER_INPUT"
    assert _profile_names(api) == []
    assert _records() == {}


def test_non_ascii_and_repeated_keys_are_400(api: Api) -> None:
    api.register("ada@example.com")
    body = {"query": CREATE, "variables": {"input": {"name": "Sam"}}}
    auth = (b"authorization", f"Bearer {api.token}".encode())
    for keys in ([b"cl\xc3\xa9"], [b'"one"', b'"two"']):
        headers = [auth, *((b"idempotency-key", key) for key in keys)]
        response = api.client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 400
        assert _code(response) == "BAD_USER_INPUT"
    assert _profile_names(api) == []


def test_queries_ignore_the_header(api: Api) -> None:
    api.register("ada@example.com")
    for key in (KEY, KEY, "not a valid key"):
        response = _send(api, PROFILES, key=key)
        assert response.status_code == 200
        assert response.json()["data"] == {"me": {"profiles": []}}
        assert "idempotent-replayed" not in response.headers
    assert _records() == {}


def test_without_a_key_the_mutations_work_as_before(api: Api, catalog: dict[str, int]) -> None:
    api.viewer_with_profile("ada@example.com")
    for name in ("Kim", "Lee"):
        assert "errors" not in _send(api, CREATE, {"input": {"name": name}}, key=None).json()
    assert _profile_names(api) == ["Me", "Kim", "Lee"]
    for _ in range(2):
        added = _send(api, ADD, {"id": str(catalog["Babe"])}, key=None)
        assert added.json()["data"]["addToMyList"]["inMyList"] is True
        assert "idempotent-replayed" not in added.headers
    assert _records() == {}


def test_with_redis_down_a_keyed_mutation_is_503_and_does_not_run(make_api: Any) -> None:
    """At most once cannot be promised without the records: the client retries later."""
    with FaultProxy("127.0.0.1", urlsplit(REDIS_URL).port or 6379) as proxy:
        database = REDIS_URL.rsplit("/", 1)[1]
        api = make_api(redis_url=f"redis://127.0.0.1:{proxy.port}/{database}")
        api.register("ada@example.com")  # the session is now known to this process
        proxy.reset()
        down = _send(api, CREATE, {"input": {"name": "Sam"}})
        assert down.status_code == 503
        assert _code(down) == "UNAVAILABLE"
        proxy.heal()
        assert _profile_names(api) == []
        assert "errors" not in _send(api, CREATE, {"input": {"name": "Sam"}}).json()
        assert _profile_names(api) == ["Sam"]
