"""No request runs on after its deadline or after its client has gone: the operation is
cancelled and answers TIMEOUT, and the server keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from server.operation_bounds import ClientGone, bounded
from tests.helpers.proxied_api import api_with_proxied

LOGIN = 'mutation { login(email: "ada@example.com", password: "correct horse battery") { token } }'


# The stores' own timeouts (FLIX_STORE_TIMEOUT_SECONDS) would answer UNAVAILABLE first
# (tests/server/test_outages.py): here they are out of the way, so the deadline is what ends it.
PATIENT_STORES = 60


def test_a_stalled_operation_ends_with_timeout_while_healthz_answers(
    clean_database: str, clean_redis: str
) -> None:
    # A deadline far beyond what /healthz needs, so the check below has room to spare.
    with api_with_proxied(
        "postgres",
        clean_database,
        clean_redis,
        operation_deadline_seconds=5,
        store_timeout_seconds=PATIENT_STORES,
    ) as (api, proxy):
        api.register("ada@example.com")
        api.forget_session()
        proxy.blackhole()  # from now on every statement hangs: the slow document
        answers: list[Any] = []
        slow = threading.Thread(target=lambda: answers.append(api.post({"query": LOGIN})))
        slow.start()
        try:
            health = api.client.get("/healthz")
            assert health.status_code == 200
            assert slow.is_alive()  # /healthz answered while the operation was still running
        finally:
            slow.join(60)
        (response,) = answers
        body = response.json()
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "TIMEOUT"


def test_building_the_context_is_bounded_too(clean_database: str, clean_redis: str) -> None:
    with api_with_proxied(
        "postgres",
        clean_database,
        clean_redis,
        operation_deadline_seconds=2,
        store_timeout_seconds=PATIENT_STORES,
    ) as (api, proxy):
        api.register("ada@example.com")  # signed in: the viewer is read from PostgreSQL
        proxy.blackhole()
        response = api.post({"query": "{ me { id } }"})
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"


# The bound itself, without a server.


async def _never_disconnects() -> dict[str, Any]:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def _tracked(finished: list[str]) -> Any:
    async def work() -> None:
        try:
            await asyncio.Event().wait()  # would run forever
        finally:
            finished.append("unwound")

    return work()


def test_past_the_deadline_the_work_is_cancelled() -> None:
    finished: list[str] = []

    async def run() -> None:
        with pytest.raises(TimeoutError):
            await bounded(_tracked(finished), deadline_seconds=0.01, receive=_never_disconnects)

    asyncio.run(run())
    assert finished == ["unwound"]


def test_when_the_client_leaves_the_work_is_cancelled() -> None:
    finished: list[str] = []
    messages: Iterator[dict[str, Any]] = iter(
        [{"type": "http.request", "body": b""}, {"type": "http.disconnect"}]
    )

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def run() -> None:
        with pytest.raises(ClientGone):
            await bounded(_tracked(finished), deadline_seconds=3600, receive=receive)

    asyncio.run(run())
    assert finished == ["unwound"]


def test_work_that_finishes_in_time_gives_its_result() -> None:
    async def work() -> int:
        return 42

    async def run() -> int:
        return await bounded(work(), deadline_seconds=3600, receive=_never_disconnects)

    assert asyncio.run(run()) == 42
