"""Profile lock: a PIN guards a profile, wrong tries run out, and a kids profile is a way in
to nothing else without the account password (or the other profile's PIN)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import pytest

from tests.helpers.api import Api

PASSWORD = "correct horse battery"
SELECT = """mutation($id: ID!, $pin: String, $password: String) {
  selectProfile(id: $id, pin: $pin, password: $password) { id }
}"""
LOCK = "mutation($id: ID!, $pin: String!) { setProfileLock(id: $id, pin: $pin) { id locked } }"
UNLOCK = """mutation($id: ID!, $password: String!) {
  removeProfileLock(id: $id, password: $password) { id locked }
}"""
ME = "{ me { roles activeProfile { id } profiles { name locked } } }"


@pytest.fixture
def family(api: Api) -> dict[str, str]:
    """An account with a grown-up, a second grown-up and a kids profile; none selected."""
    api.register("parent@example.com", PASSWORD)
    return {
        "parent": api.create_profile("Parent"),
        "teen": api.create_profile("Teen", maturityLevel=3),
        "kid": api.create_profile("Kid", isKids=True),
    }


def _select(api: Api, profile_id: str, **proof: str) -> dict[str, Any]:
    body: dict[str, Any] = api.post(
        {"query": SELECT, "variables": {"id": profile_id, **proof}}
    ).json()
    return body


def _active(api: Api) -> str | None:
    active = api.data(ME)["me"]["activeProfile"]
    return active["id"] if active else None


def _code(body: dict[str, Any]) -> str:
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def _pin_hash(database_url: str, profile_id: str) -> str | None:
    async def read() -> str | None:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
        try:
            found: str | None = await connection.fetchval(
                "SELECT pin_hash FROM profiles WHERE id = $1::uuid", profile_id
            )
            return found
        finally:
            await connection.close()

    return asyncio.run(read())


def test_a_pin_locks_the_profile_and_is_stored_as_an_argon2_hash(
    api: Api, family: dict[str, str], clean_database: str
) -> None:
    locked = api.data(LOCK, id=family["parent"], pin="4821")["setProfileLock"]
    assert locked == {"id": family["parent"], "locked": True}
    profiles = api.data(ME)["me"]["profiles"]
    assert [(p["name"], p["locked"]) for p in profiles] == [
        ("Parent", True),
        ("Teen", False),
        ("Kid", False),
    ]
    stored = _pin_hash(clean_database, family["parent"])
    assert stored is not None and stored.startswith("$argon2id$") and "4821" not in stored


@pytest.mark.parametrize("pin", ["482", "48211", "abcd", "48 1", "١٢٣٤", "", "4821\n"])
def test_a_pin_is_exactly_four_digits(api: Api, family: dict[str, str], pin: str) -> None:
    assert api.error_code(LOCK, id=family["parent"], pin=pin) == "BAD_USER_INPUT"
    assert api.data(ME)["me"]["profiles"][0]["locked"] is False


def test_a_locked_profile_needs_its_pin_and_a_wrong_one_changes_nothing(
    api: Api, family: dict[str, str]
) -> None:
    api.data(LOCK, id=family["parent"], pin="4821")
    api.select_profile(family["teen"])
    missing = _select(api, family["parent"])
    assert _code(missing) == "FORBIDDEN" and "PIN" in missing["errors"][0]["message"]
    wrong = _select(api, family["parent"], pin="1234")
    assert _code(wrong) == "FORBIDDEN"
    assert wrong["errors"][0]["message"] == (
        "Wrong PIN: 4 tries left before this profile locks for 15 minutes."
    )
    # The account password is no way past a PIN.
    assert _code(_select(api, family["parent"], password=PASSWORD)) == "FORBIDDEN"
    assert _active(api) == family["teen"]
    entered = _select(api, family["parent"], pin="4821")
    assert "errors" not in entered
    assert entered["data"] == {"selectProfile": {"id": family["parent"]}}
    assert _active(api) == family["parent"]


def test_five_wrong_pins_lock_the_profile_for_fifteen_minutes(
    api: Api, family: dict[str, str]
) -> None:
    api.data(LOCK, id=family["parent"], pin="4821")
    answers = [_select(api, family["parent"], pin=f"000{i}") for i in range(5)]
    assert [_code(answer) for answer in answers] == ["FORBIDDEN"] * 5
    assert "locked for 15 minutes" in answers[-1]["errors"][0]["message"]
    # Now even the right PIN is refused, saying for how long.
    error = api.first_error(SELECT, id=family["parent"], pin="4821")
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < error["extensions"]["retryAfterSeconds"] <= 15 * 60
    assert _active(api) is None
    # The other profiles are not locked out.
    assert "errors" not in _select(api, family["teen"])


def test_the_right_pin_forgives_earlier_wrong_ones(api: Api, family: dict[str, str]) -> None:
    api.data(LOCK, id=family["parent"], pin="4821")
    for _ in range(2):
        for i in range(4):
            assert _code(_select(api, family["parent"], pin=f"111{i}")) == "FORBIDDEN"
        assert "errors" not in _select(api, family["parent"], pin="4821")
        api.select_profile(family["teen"])


def test_concurrent_guesses_get_five_tries_in_all(api: Api, family: dict[str, str]) -> None:
    api.data(LOCK, id=family["parent"], pin="4821")
    pins = [f"{i:04d}" for i in range(20)]  # "4821" is not among them
    with ThreadPoolExecutor(max_workers=len(pins)) as pool:
        answers = list(pool.map(lambda pin: _select(api, family["parent"], pin=pin), pins))
    codes = sorted(_code(answer) for answer in answers)
    assert codes == ["FORBIDDEN"] * 5 + ["RATE_LIMITED"] * 15


def test_leaving_a_kids_profile_for_a_grown_up_one_needs_the_password(
    api: Api, family: dict[str, str]
) -> None:
    api.select_profile(family["kid"])
    missing = _select(api, family["parent"])
    assert _code(missing) == "FORBIDDEN" and "password" in missing["errors"][0]["message"]
    wrong = _select(api, family["parent"], password="not the password")
    assert _code(wrong) == "FORBIDDEN"
    assert wrong["errors"][0]["message"].startswith("Wrong account password: 4 tries left")
    assert _active(api) == family["kid"]
    assert api.data(ME)["me"]["roles"] == ["kids_viewer"]
    assert "errors" not in _select(api, family["parent"], password=PASSWORD)
    assert _active(api) == family["parent"]


def test_out_of_a_kids_profile_a_locked_one_takes_its_pin_not_the_password(
    api: Api, family: dict[str, str]
) -> None:
    api.data(LOCK, id=family["teen"], pin="2580")
    api.select_profile(family["kid"])
    assert _code(_select(api, family["teen"], password=PASSWORD)) == "FORBIDDEN"
    assert _active(api) == family["kid"]
    assert "errors" not in _select(api, family["teen"], pin="2580")
    assert _active(api) == family["teen"]


def test_switches_that_need_nothing(api: Api, family: dict[str, str]) -> None:
    # From no profile or a grown-up one to an unlocked one, and from kids to kids.
    other_kid = api.create_profile("Other kid", isKids=True)
    assert "errors" not in _select(api, family["parent"])
    assert "errors" not in _select(api, family["teen"])
    assert "errors" not in _select(api, family["kid"])
    assert "errors" not in _select(api, other_kid)
    assert "errors" not in _select(api, other_kid)  # the active one again


def test_a_kids_profile_cannot_set_or_remove_a_lock(api: Api, family: dict[str, str]) -> None:
    api.data(LOCK, id=family["kid"], pin="1111")
    assert "errors" not in _select(api, family["kid"], pin="1111")
    assert api.error_code(LOCK, id=family["kid"], pin="2222") == "FORBIDDEN"
    assert api.error_code(UNLOCK, id=family["kid"], password=PASSWORD) == "FORBIDDEN"
    assert api.data(ME)["me"]["profiles"][2]["locked"] is True


def test_removing_a_lock_needs_the_account_password(api: Api, family: dict[str, str]) -> None:
    api.data(LOCK, id=family["parent"], pin="4821")
    assert api.error_code(UNLOCK, id=family["parent"], password="not the password") == ("FORBIDDEN")
    assert api.data(ME)["me"]["profiles"][0]["locked"] is True
    unlocked = api.data(UNLOCK, id=family["parent"], password=PASSWORD)["removeProfileLock"]
    assert unlocked == {"id": family["parent"], "locked": False}
    assert "errors" not in _select(api, family["parent"])


def test_a_new_pin_replaces_the_old_one(api: Api, family: dict[str, str]) -> None:
    api.data(LOCK, id=family["parent"], pin="4821")
    api.data(LOCK, id=family["parent"], pin="9034")
    assert _code(_select(api, family["parent"], pin="4821")) == "FORBIDDEN"
    assert "errors" not in _select(api, family["parent"], pin="9034")


def test_another_accounts_profile_is_not_found(
    api: Api, family: dict[str, str], make_api: Callable[..., Api]
) -> None:
    stranger = make_api()
    stranger.register("stranger@example.com")
    for query, variables in (
        (LOCK, {"pin": "0000"}),
        (UNLOCK, {"password": "correct horse battery"}),
        (SELECT, {"pin": "0000"}),
    ):
        assert stranger.error_code(query, id=family["parent"], **variables) == "NOT_FOUND"
    assert api.data(ME)["me"]["profiles"][0]["locked"] is False
