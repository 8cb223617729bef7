"""The event log: progress is published, replay rebuilds viewing state, a broker outage
loses nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from typer.testing import CliRunner

from datasources.events import Event, Stream
from server.cli import app as cli
from server.settings import Settings
from tests.brokers import interruptible_broker
from tests.conftest import KAFKA_BOOTSTRAP, NATS_URL, REDIS_URL, Api
from tests.schema.test_progress import CONTINUE, ok
from tests.viewing_stores import CLI_ENV, wipe_viewing

HISTORY = "{ viewingHistory(first: 50) { edges { node { video { title } positionSeconds } } } }"


def _events(api: Api, stream: Stream) -> list[Event]:
    log = api.client.app.state.stores.events  # type: ignore[attr-defined]

    async def read() -> list[Event]:
        return [event async for event in log.read(stream)]

    return api.client.portal.call(read)  # type: ignore[union-attr]


def _outbox_size(database_url: str) -> int:
    async def count() -> int:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
        try:
            return int(await connection.fetchval("SELECT count(*) FROM event_outbox"))
        finally:
            await connection.close()

    return asyncio.run(count())


def _viewer(api: Api) -> Api:
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    return api


def test_accepted_progress_is_published_once(api: Api, catalog: dict[str, int]) -> None:
    _viewer(api)
    ok(api, catalog["Babe"], 1000, at=1)
    ok(api, catalog["Babe"], 1000, at=1)  # a duplicate: stored once, published once
    ok(api, catalog["Babe"], 500, at=0)  # stale: not stored, not published
    [event] = _events(api, Stream.VIEWING)
    assert event.payload["kind"] == "progress" and event.payload["position_seconds"] == 1000
    assert event.payload["country"] == "US"


def test_replay_rebuilds_continue_watching_idempotently(
    api: Api, catalog: dict[str, int], clean_database: str
) -> None:
    _viewer(api)
    for at, (title, position) in enumerate(
        [("Babe", 3000), ("Toy Story", 2000), ("Twelve Monkeys", 5990), ("Babe", 3100)]
    ):
        ok(api, catalog[title], position, at=at)
    api.data(
        "mutation($id: ID!) { hideFromContinueWatching(videoId: $id) }", id=str(catalog["Babe"])
    )
    before = (api.data(CONTINUE), api.data(HISTORY))
    wipe_viewing(clean_database)
    assert api.data(CONTINUE) == {"continueWatching": []}
    events = api.client.app.state.stores.events  # type: ignore[attr-defined]
    env = {
        "FLIX_DATABASE_URL": clean_database,
        "FLIX_REDIS_URL": REDIS_URL,
        "FLIX_EVENT_LOG": events.broker,
        "FLIX_NATS_URL": NATS_URL,
        "FLIX_KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP,
        "FLIX_EVENTS_PREFIX": events.prefix,
        **CLI_ENV,
    }
    for _ in range(2):  # replaying twice gives the same state
        result = CliRunner().invoke(cli, ["events", "replay", "--stream", "VIEWING"], env=env)
        assert result.exit_code == 0, result.output
        assert (api.data(CONTINUE), api.data(HISTORY)) == before
    partial = CliRunner().invoke(cli, ["events", "replay", "--from-seq", "4"], env=env)
    assert partial.exit_code == 0 and "replayed 2 events" in partial.output


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def test_broker_outage_loses_no_write_and_no_event(
    make_api: Callable[..., Api], catalog: dict[str, int], clean_database: str, tmp_path: Path
) -> None:
    with interruptible_broker(Settings().event_log, tmp_path) as broker:
        api = _viewer(make_api(**broker.settings))
        ok(api, catalog["Babe"], 1000, at=1)
        broker.cut()  # the broker vanishes
        acknowledged: list[dict[str, Any]] = [
            ok(api, catalog[title], 3000, at=10 + i)
            for i, title in enumerate(["Toy Story", "Twelve Monkeys", "The Godfather"])
        ]
        assert all(item["positionSeconds"] == 3000 for item in acknowledged)
        assert len(api.data(CONTINUE)["continueWatching"]) == 4  # stored and served
        assert _outbox_size(clean_database) == 3
        broker.heal()
        assert _wait_for(lambda: _outbox_size(clean_database) == 0, 30)
        published = [event.payload["video_id"] for event in _events(api, Stream.VIEWING)]
    assert sorted(published) == sorted(
        catalog[t] for t in ["Babe", "Toy Story", "Twelve Monkeys", "The Godfather"]
    )
