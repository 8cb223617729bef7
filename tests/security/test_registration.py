"""Registration: the password policy, the per-IP and per-email throttle, and an answer that
does not tell whether an email has an account (docs/accounts_and_profiles.md, "Registration")."""

from __future__ import annotations

from collections.abc import Callable

import httpx2 as httpx
import pytest

from auth import password_policy
from tests.helpers.api import Api

PASSWORD = "correct horse battery"
REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { token account { id email plan } }
}"""
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


def _registration(email: str, password: str, plan: str = "PREMIUM") -> dict[str, str]:
    return {"email": email, "password": password, "country": "US", "plan": plan}


def _register(api: Api, email: str, password: str, plan: str = "PREMIUM") -> httpx.Response:
    return api.post(
        {"query": REGISTER, "variables": {"input": _registration(email, password, plan)}}
    )


def _signs_in(api: Api, email: str, password: str) -> bool:
    return "errors" not in api.gql(LOGIN, e=email, p=password)


def test_the_common_password_list_ships_with_the_package() -> None:
    listed = password_policy.common_passwords()
    assert len(listed) > 5000
    assert {"password", "qwertyuiop", "1234567890", "iloveyou"} <= listed


@pytest.mark.parametrize(
    "password",
    [
        "nine char",  # shorter than 10
        "password123",
        "QwertyUiop",
        "Dragon2024!",  # a listed one dressed up
        "1234567890",
        "aaaaaaaaaaaa",
        "ababababab",
        "ada.lovelace rules",  # the email's local part
        "ada.lovelace@example.com",
    ],
)
def test_the_policy_refuses_and_creates_nothing(api: Api, password: str) -> None:
    error = api.first_error(REGISTER, input=_registration("Ada.Lovelace@example.com", password))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == password_policy.REFUSED
    assert not _signs_in(api, "ada.lovelace@example.com", password)


def test_a_good_password_registers_and_signs_in(api: Api) -> None:
    body = _register(api, "ada@example.com", "a horse of a battery").json()
    assert "errors" not in body
    api.token = body["data"]["register"]["token"]
    assert api.data("{ me { email } }") == {"me": {"email": "ada@example.com"}}


def test_an_existing_email_answers_like_a_refused_password(
    api: Api, make_api: Callable[..., Api]
) -> None:
    api.register("ada@example.com", PASSWORD)
    prober = make_api()
    existing = _register(prober, "ADA@example.com", "another fine password")
    refused = _register(prober, "newcomer@example.com", "password123")
    assert existing.status_code == refused.status_code == 200
    assert existing.json() == refused.json()
    assert existing.json()["errors"][0]["message"] == password_policy.REFUSED
    assert "set-cookie" not in existing.headers and "set-cookie" not in refused.headers
    # Neither changed anything: Ada's password is hers, the newcomer has no account.
    assert _signs_in(prober, "ada@example.com", PASSWORD)
    assert not _signs_in(prober, "ada@example.com", "another fine password")
    assert not _signs_in(prober, "newcomer@example.com", "password123")


def test_registering_again_with_the_accounts_password_signs_in_to_it(
    api: Api, make_api: Callable[..., Api]
) -> None:
    api.register("ada@example.com", PASSWORD)
    first = api.data("{ me { id } }")["me"]["id"]
    again = make_api()
    response = _register(again, "ADA@Example.com", PASSWORD, plan="BASIC")
    assert "flix_session=" in response.headers["set-cookie"]
    account = response.json()["data"]["register"]["account"]
    # The account as it is: no second one, and the plan asked for now is not applied.
    assert account == {"id": first, "email": "ada@example.com", "plan": "PREMIUM"}


def test_registration_is_throttled_per_ip(make_api: Callable[..., Api]) -> None:
    api = make_api(registration_attempts=3)
    for i in range(3):
        api.register(f"viewer{i}@example.com", PASSWORD)
        api.forget_session()
    error = api.first_error(REGISTER, input=_registration("viewer3@example.com", PASSWORD))
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < error["extensions"]["retryAfterSeconds"] <= 3600
    assert not _signs_in(api, "viewer3@example.com", PASSWORD)
    elsewhere = make_api(client_host="203.0.113.7", registration_attempts=3)
    elsewhere.register("viewer3@example.com", PASSWORD)


def test_registration_is_throttled_per_email(make_api: Callable[..., Api]) -> None:
    def from_address(host: str) -> Api:
        return make_api(client_host=host, registration_attempts=2)

    from_address("203.0.113.1").register("ada@example.com", PASSWORD)
    assert (
        "errors"
        in _register(from_address("203.0.113.2"), "ada@example.com", "guess number one").json()
    )
    # A third try at this email, from a third address: refused before any password is looked at.
    error = from_address("203.0.113.3").first_error(
        REGISTER, input=_registration("ada@example.com", PASSWORD)
    )
    assert error["extensions"]["code"] == "RATE_LIMITED"
