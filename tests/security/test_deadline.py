"""No request runs on after its deadline or after its client has gone: the operation is
cancelled and answers TIMEOUT, and the server keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.operation_bounds import ClientGone, bounded
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.stores import delete_streams, settings_for

LOGIN = 'mutation { login(email: "ada@example.com", password: "correct horse battery") { token } }'


@contextmanager
def _api_through_a_proxy(
    database: str, redis: str, **settings: Any
) -> Iterator[tuple[Api, FaultProxy]]:
    """The app with PostgreSQL behind a fault proxy: blackholed, every statement hangs."""
    parts = urlsplit(database)
    with FaultProxy("127.0.0.1", parts.port or 5432) as proxy:
        proxied = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
        with TestClient(create_app(settings_for(proxied, redis, **settings))) as client:
            events = client.app.state.stores.events  # type: ignore[attr-defined]
            try:
                yield Api(client), proxy
            finally:
                proxy.reset()  # cut the hung connections, so that the app stops promptly
        blocking(delete_streams(events.prefix, events.broker))


def test_a_stalled_operation_ends_with_timeout_while_healthz_answers(
    clean_database: str, clean_redis: str
) -> None:
    # A deadline far beyond what /healthz needs, so the check below has room to spare.
    with _api_through_a_proxy(clean_database, clean_redis, operation_deadline_seconds=5) as (
        api,
        proxy,
    ):
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
    with _api_through_a_proxy(clean_database, clean_redis, operation_deadline_seconds=2) as (
        api,
        proxy,
    ):
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
