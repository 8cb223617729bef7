"""Fail fast: with a store stalled, the requests that need it answer UNAVAILABLE after the
store's own timeout (FLIX_STORE_TIMEOUT_SECONDS), well before the request's deadline, and
the rest keep working."""

from __future__ import annotations

from typing import Any

from tests.helpers.api import Api
from tests.helpers.proxied_api import api_with_proxied

FAST = {"store_timeout_seconds": 1, "operation_deadline_seconds": 60}
ME = "{ me { email } }"
LOGIN = 'mutation { login(email: "ada@example.com", password: "correct horse battery") { token } }'


def _code(response: Any) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def test_a_stalled_database_is_unavailable_not_a_hang(
    clean_database: str, clean_redis: str
) -> None:
    with api_with_proxied("postgres", clean_database, clean_redis, **FAST) as (api, proxy):
        api.register("ada@example.com")
        assert api.data(ME) == {"me": {"email": "ada@example.com"}}
        proxy.blackhole()  # every statement or command now hangs
        stalled = api.post({"query": ME})
        assert stalled.status_code == 503 and _code(stalled) == "UNAVAILABLE"
        assert api.client.get("/healthz").status_code == 200  # the process itself is fine
        proxy.heal()
        assert _wait_until_answered(api) == {"me": {"email": "ada@example.com"}}


def test_a_stalled_redis_fails_sign_in_closed_quickly(
    clean_database: str, clean_redis: str
) -> None:
    with api_with_proxied("redis", clean_database, clean_redis, **FAST) as (api, proxy):
        api.register("ada@example.com")
        api.forget_session()
        proxy.blackhole()
        # Signing in needs its rate limit (which fails closed) and a new session: both Redis.
        login = api.post({"query": LOGIN})
        assert _code(login) == "UNAVAILABLE"
        assert api.client.get("/healthz").status_code == 200
        proxy.heal()
        api.register("bob@example.com")  # back by itself


def test_a_refused_database_is_unavailable_too(clean_database: str, clean_redis: str) -> None:
    with api_with_proxied("postgres", clean_database, clean_redis, **FAST) as (api, proxy):
        api.register("ada@example.com")
        proxy.reset()  # connections cut, new ones refused
        refused = api.post({"query": ME})
        assert _code(refused) == "UNAVAILABLE"


def _wait_until_answered(api: Api, tries: int = 20) -> Any:
    """The app reconnects by itself once the store is back (a pooled connection cut by the
    outage fails its pre-ping and is replaced)."""
    for _ in range(tries):
        body = api.post({"query": ME}).json()
        if "errors" not in body:
            return body["data"]
    raise AssertionError(f"still failing after {tries} tries: {body}")
