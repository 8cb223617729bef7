"""The event log: progress is published, replay rebuilds viewing state, a broker outage
loses nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from datasources import catalog as catalog_store
from datasources.events import Stream
from server.cli import app as cli
from server.settings import Settings
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.brokers import interruptible_broker
from tests.helpers.events import read_events, read_events_now, wait_for_relay
from tests.helpers.progress import CONTINUE, EPISODES, ok
from tests.helpers.stores import KAFKA_BOOTSTRAP, NATS_URL, REDIS_URL
from tests.helpers.viewing_stores import CLI_ENV, wipe_viewing

HISTORY = "{ viewingHistory(first: 50) { edges { node { video { title } positionSeconds } } } }"


def _cli_env(api: Api, database_url: str) -> dict[str, str]:
    """What a `flix events replay` run by the test needs to reach the API's stores and log."""
    events = api.client.app.state.stores.events  # type: ignore[attr-defined]
    return {
        "FLIX_DATABASE_URL": database_url,
        "FLIX_REDIS_URL": REDIS_URL,
        "FLIX_EVENT_LOG": events.broker,
        "FLIX_NATS_URL": NATS_URL,
        "FLIX_KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP,
        "FLIX_EVENTS_PREFIX": events.prefix,
        **CLI_ENV,
    }


def _outbox_size(database_url: str) -> int:
    async def count() -> int:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
        try:
            return int(await connection.fetchval("SELECT count(*) FROM event_outbox"))
        finally:
            await connection.close()

    return blocking(count())


def _viewer(api: Api) -> Api:
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    return api


def test_accepted_progress_is_published_once(api: Api, catalog: dict[str, int]) -> None:
    _viewer(api)
    ok(api, catalog["Babe"], 1000, at=1)
    ok(api, catalog["Babe"], 1000, at=1)  # a duplicate: stored once, published once
    ok(api, catalog["Babe"], 500, at=0)  # stale: not stored, not published
    [event] = read_events(api, Stream.VIEWING)
    assert event.payload["kind"] == "progress" and event.payload["position_seconds"] == 1000
    assert event.payload["country"] == "US"


def test_an_acknowledged_heartbeat_has_its_event_committed_before_any_publish(
    make_api: Callable[..., Api], catalog: dict[str, int], clean_database: str
) -> None:
    # No relay in this process, so it never publishes (as if it died right after answering):
    # acknowledged means committed, with the event in the outbox in the same transaction.
    silent = _viewer(make_api(inline_worker=False))
    if not silent.client.app.state.stores.viewing.queues_events:  # type: ignore[attr-defined]
        pytest.skip("the viewing store is not PostgreSQL: its events are published, not queued")
    ok(silent, catalog["Babe"], 1000, at=1)
    assert _outbox_size(clean_database) == 1
    assert read_events_now(silent, Stream.VIEWING) == []
    # Another process's relay (a worker's) publishes it.
    later = make_api(events_prefix=silent.client.app.state.stores.events.prefix)  # type: ignore[attr-defined]
    [event] = read_events(later, Stream.VIEWING)
    assert (
        event.payload["video_id"] == catalog["Babe"] and event.payload["position_seconds"] == 1000
    )


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
    wait_for_relay(api)  # what is replayed is what reached the log
    wipe_viewing(clean_database)
    assert api.data(CONTINUE) == {"continueWatching": []}
    env = _cli_env(api, clean_database)
    for _ in range(2):  # replaying twice gives the same state
        result = CliRunner().invoke(cli, ["events", "replay", "--stream", "VIEWING"], env=env)
        assert result.exit_code == 0, result.output
        assert (api.data(CONTINUE), api.data(HISTORY)) == before
    partial = CliRunner().invoke(cli, ["events", "replay", "--from-seq", "4"], env=env)
    assert partial.exit_code == 0 and "replayed 2 events" in partial.output


def test_replay_reads_each_series_episodes_once(
    api: Api, catalog: dict[str, int], clean_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _viewer(api)
    series = catalog["Harbour Nights"]
    seasons = api.data(EPISODES, id=str(series))["video"]["seasons"]
    ids = [episode["id"] for season in seasons for episode in season["episodes"]]
    for at, (episode, position) in enumerate([(0, 600), (2, 2650), (3, 100), (3, 900)]):
        ok(api, series, position, at=at, episodeId=ids[episode], duration=2700)
    ok(api, catalog["Babe"], 3000, at=9)
    before = api.data(CONTINUE)
    wait_for_relay(api)
    wipe_viewing(clean_database)

    calls: list[list[int]] = []
    real = catalog_store.episode_slots

    async def counted(engine: Any, video_ids: Any) -> Any:
        calls.append(list(video_ids))
        return await real(engine, video_ids)

    monkeypatch.setattr(catalog_store, "episode_slots", counted)
    env = _cli_env(api, clean_database)
    result = CliRunner().invoke(cli, ["events", "replay", "--stream", "VIEWING"], env=env)
    assert result.exit_code == 0, result.output
    assert calls == [[series]]  # four heartbeats of one series, one read; none for the movie
    assert api.data(CONTINUE) == before


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
        wait_for_relay(api)  # Babe's event is in the log before the broker goes
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
        published = [event.payload["video_id"] for event in read_events(api, Stream.VIEWING)]
    assert sorted(published) == sorted(
        catalog[t] for t in ["Babe", "Toy Story", "Twelve Monkeys", "The Godfather"]
    )
