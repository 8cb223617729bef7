"""register, login, logout, me: sessions, cookies and sign-in throttling."""

from __future__ import annotations

import redis

from tests.helpers.api import Api
from tests.helpers.stores import REDIS_URL

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token account { email } }
}"""
ME = "{ me { id email country plan roles profiles { id } activeProfile { id } } }"


def test_register_signs_in_and_me_answers(api: Api) -> None:
    api.register("Ada@Example.com")
    me = api.data(ME)["me"]
    assert me["email"] == "Ada@Example.com"
    assert (me["country"], me["plan"], me["roles"]) == ("US", "PREMIUM", ["account_owner"])
    assert me["profiles"] == [] and me["activeProfile"] is None


def test_me_is_null_when_signed_out(api: Api) -> None:
    assert api.data(ME) == {"me": None}


def test_email_is_unique_in_any_letter_case(api: Api) -> None:
    api.register("ada@example.com")
    api.forget_session()
    # Not CONFLICT, which would tell anyone the email has an account: the answer a refused
    # password gets (tests/security/test_registration.py compares the two).
    code = api.error_code(
        'mutation { register(input: {email: "ADA@example.COM", password: "long enough",'
        ' country: "US", plan: BASIC}) { token } }'
    )
    assert code == "BAD_USER_INPUT"
    assert api.error_code(LOGIN, email="ADA@example.COM", password="long enough") == (
        "UNAUTHENTICATED"
    )


def test_bad_registrations_are_refused_and_create_nothing(api: Api) -> None:
    template = (
        "mutation { register(input: {email: %s, password: %s, country: %s, plan: BASIC})"
        " { token } }"
    )
    bad = [
        ('"not-an-email"', '"long enough"', '"US"'),
        ('"ada@example.com"', '"short"', '"US"'),
        ('"ada@example.com"', '"long enough"', '"USA"'),
    ]
    for email, password, country in bad:
        assert api.error_code(template % (email, password, country)) == "BAD_USER_INPUT"
    assert api.error_code(LOGIN, email="ada@example.com", password="long enough") == (
        "UNAUTHENTICATED"
    )


def test_login_sets_httponly_cookie_and_a_new_session_each_time(api: Api) -> None:
    api.register("ada@example.com")
    first = api.post(
        {
            "query": LOGIN,
            "variables": {"email": "ADA@example.com", "password": "correct horse battery"},
        }
    )
    second = api.post(
        {
            "query": LOGIN,
            "variables": {"email": "ada@example.com", "password": "correct horse battery"},
        }
    )
    cookie = first.headers["set-cookie"]
    assert "flix_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http in tests
    tokens = [r.json()["data"]["login"]["token"] for r in (first, second)]
    assert tokens[0] != tokens[1] and len(tokens[0]) == 22
    keys = redis.Redis.from_url(REDIS_URL).keys("session:*")
    assert {f"session:{token}".encode() for token in tokens} <= set(keys)


def test_cookie_alone_authenticates(api: Api) -> None:
    api.register("ada@example.com")
    api.forget_session()
    api.post(
        {
            "query": LOGIN,
            "variables": {"email": "ada@example.com", "password": "correct horse battery"},
        }
    )
    assert api.client.cookies.get("flix_session")
    assert api.data(ME)["me"]["email"] == "ada@example.com"


def test_wrong_password_and_unknown_email_fail_alike(api: Api) -> None:
    api.register("ada@example.com")
    api.forget_session()
    wrong = api.gql(LOGIN, email="ada@example.com", password="wrong password")
    unknown = api.gql(LOGIN, email="bob@example.com", password="wrong password")
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert wrong["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert unknown["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


def test_logout_deletes_the_session_server_side(api: Api) -> None:
    token = api.register("ada@example.com")
    assert api.data("mutation { logout }") == {"logout": True}
    assert not redis.Redis.from_url(REDIS_URL).exists(f"session:{token}")
    assert api.data(ME) == {"me": None}  # the old token is worthless now


def test_session_expiry_slides_on_use(api: Api) -> None:
    token = api.register("ada@example.com")
    store = redis.Redis.from_url(REDIS_URL)
    store.expire(f"session:{token}", 60)
    api.data(ME)
    assert store.ttl(f"session:{token}") > 29 * 24 * 3600


def test_sixth_login_attempt_in_the_window_is_rate_limited(api: Api) -> None:
    api.register("ada@example.com")
    api.forget_session()
    for _ in range(5):
        assert api.error_code(LOGIN, email="ada@example.com", password="wrong") == (
            "UNAUTHENTICATED"
        )
    body = api.gql(LOGIN, email="ada@example.com", password="correct horse battery")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < error["extensions"]["retryAfterSeconds"] <= 300


def test_aliases_in_one_document_each_count_as_an_attempt(api: Api) -> None:
    api.register("ada@example.com")
    api.forget_session()
    attempts = " ".join(
        f'a{i}: login(email: "ada@example.com", password: "guess {i}") {{ token }}'
        for i in range(6)
    )
    body = api.gql(f"mutation {{ {attempts} }}")
    codes = [error["extensions"]["code"] for error in body["errors"]]
    assert codes.count("UNAUTHENTICATED") == 5 and codes.count("RATE_LIMITED") == 1


def test_attempts_are_limited_per_ip_across_accounts(api: Api) -> None:
    for i in range(5):
        api.gql(LOGIN, email=f"user{i}@example.com", password="whatever")
    assert api.error_code(LOGIN, email="fresh@example.com", password="whatever") == ("RATE_LIMITED")


def test_cookie_is_secure_over_https(api: Api) -> None:
    api.register("ada@example.com")
    api.forget_session()
    response = api.client.post(
        "https://testserver/graphql",
        json={
            "query": LOGIN,
            "variables": {"email": "ada@example.com", "password": "correct horse battery"},
        },
    )
    assert "Secure" in response.headers["set-cookie"]
