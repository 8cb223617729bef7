"""The 5-profile limit and per-account name uniqueness hold under concurrent creates."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.helpers.api import Api

CREATE = "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }"
PROFILES = "{ me { profiles { name } } }"


def _concurrently(api: Api, names: list[str]) -> list[dict[str, Any]]:
    """One request per name, all in flight at once. The TestClient hands every thread's
    request to the app's one event loop, so they interleave there over real asyncpg
    connections, as concurrent clients of a server would."""
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        responses = pool.map(
            lambda name: api.post({"query": CREATE, "variables": {"input": {"name": name}}}), names
        )
        return [response.json() for response in responses]


def _codes(bodies: list[dict[str, Any]]) -> list[str]:
    return [body["errors"][0]["extensions"]["code"] for body in bodies if body.get("errors")]


def test_twenty_concurrent_creates_leave_exactly_five_profiles(api: Api) -> None:
    api.register("ada@example.com")
    bodies = _concurrently(api, [f"Viewer {i}" for i in range(20)])
    created = [body for body in bodies if not body.get("errors")]
    assert len(created) == 5
    assert _codes(bodies) == ["CONFLICT"] * 15
    assert len(api.data(PROFILES)["me"]["profiles"]) == 5


def test_concurrent_creates_of_one_name_leave_one_profile(api: Api) -> None:
    api.register("ada@example.com")
    bodies = _concurrently(api, ["Sam", "sam", " SAM ", "Sam", "sAm", "Sam"])
    assert len([body for body in bodies if not body.get("errors")]) == 1
    assert _codes(bodies) == ["CONFLICT"] * 5
    assert [p["name"].lower() for p in api.data(PROFILES)["me"]["profiles"]] == ["sam"]


def test_the_limit_is_per_account(api: Api, make_api: Any) -> None:
    api.register("ada@example.com")
    other = make_api()
    other.register("bob@example.com")
    for name in ("A", "B", "C", "D", "E"):
        api.create_profile(name)
    assert other.create_profile("A")
    assert api.error_code(CREATE, input={"name": "F"}) == "CONFLICT"
