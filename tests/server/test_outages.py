"""Fail fast: with a store stalled, the requests that need it answer UNAVAILABLE after the
store's own timeout (FLIX_STORE_TIMEOUT_SECONDS), well before the request's deadline, and
the rest keep working; once it has failed FAIL_MAX times in a row its circuit breaker opens
and they answer UNAVAILABLE without asking it, until a trial call finds it back."""

from __future__ import annotations

import time
from typing import Any

from datasources.breakers import FAIL_MAX, RESET_SECONDS
from tests.helpers.api import Api
from tests.helpers.proxied_api import api_with_proxied

FAST = {"store_timeout_seconds": 1, "operation_deadline_seconds": 60}
# The viewer comes from a cache; the profiles need PostgreSQL.
ME = "{ me { email profiles { name } } }"
ADA = {"me": {"email": "ada@example.com", "profiles": []}}
LOGIN = 'mutation { login(email: "ada@example.com", password: "correct horse battery") { token } }'


def _code(response: Any) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def test_a_stalled_database_is_unavailable_not_a_hang(
    clean_database: str, clean_redis: str
) -> None:
    with api_with_proxied("postgres", clean_database, clean_redis, **FAST) as (api, proxy):
        api.register("ada@example.com")
        assert api.data(ME) == ADA
        proxy.blackhole()  # every statement or command now hangs
        stalled = api.post({"query": ME})  # the (cached) account answers, its profiles fail
        assert _code(stalled) == "UNAVAILABLE"
        assert stalled.json()["data"] == {"me": None}
        assert api.client.get("/healthz").status_code == 200  # the process itself is fine
        proxy.heal()
        assert _wait_until_answered(api) == ADA


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


def test_a_store_that_keeps_failing_opens_its_breaker_then_recovers(
    clean_database: str, clean_redis: str
) -> None:
    with api_with_proxied("postgres", clean_database, clean_redis, **FAST) as (api, proxy):
        api.register("ada@example.com")
        engine = api.client.app.state.stores.engine  # type: ignore[attr-defined]
        proxy.blackhole()
        for _ in range(FAIL_MAX):  # each waits out the store timeout
            assert _code(api.post({"query": ME})) == "UNAVAILABLE"
        assert engine.breaker.state == "open"
        failed = api.post({"query": ME})  # not asked: refused by the breaker
        assert failed.status_code == 503 and _code(failed) == "UNAVAILABLE"
        assert api.client.get("/healthz").status_code == 200
        proxy.heal()
        assert _wait_until_answered(api) == ADA
        assert engine.breaker.state == "closed"


def _wait_until_answered(api: Api, seconds: float = 10 + RESET_SECONDS) -> Any:
    """The app reconnects by itself once the store is back: the breaker lets a trial call
    through after RESET_SECONDS, and a pooled connection cut by the outage fails its first
    statement, which replaces the pool's connections."""
    deadline = time.monotonic() + seconds
    while True:
        body = api.post({"query": ME}).json()
        if "errors" not in body:
            return body["data"]
        if time.monotonic() > deadline:
            raise AssertionError(f"still failing after {seconds} s: {body}")
        time.sleep(0.2)
