"""Erasure on the real stores: an account that watched, rated, listed, was in an experiment
and was archived is erased; nothing of it is left anywhere, and trending and the
experiment's totals are what they were."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import func, select
from typer.testing import CliRunner

from datasources.events import Event, Stream
from datasources.objects import ObjectStore
from datasources.stores import Stores
from datasources.tables import experiment_profiles
from lifecycle import archive_format, traces
from lifecycle.archiver import archive_stream
from server.cli import app as cli
from tests.helpers.api import Api
from tests.helpers.events import read_events_now, wait_for_relay
from tests.helpers.experiments import CREATE, PAGE, START, experiment_definition, staff
from tests.helpers.objects import s3_settings, sync_bucket
from tests.helpers.progress import ok
from tests.helpers.stores import KAFKA_BOOTSTRAP, NATS_URL
from tests.helpers.viewing_stores import CLI_ENV

__all__ = ["sync_bucket"]

T = TypeVar("T")
PASSWORD = "correct horse battery"
DELETE_ACCOUNT = "mutation($password: String!) { deleteAccount(password: $password) }"
ADD_TO_LIST = "mutation($id: ID!) { addToMyList(videoId: $id) { id } }"
RATE = "mutation($id: ID!) { rateTitle(videoId: $id, rating: THUMBS_UP) { id } }"
REPORT = "mutation($events: [PlaybackEventInput!]!) { reportPlaybackEvents(events: $events) }"
RESULTS = """query($id: ID!) { experimentResults(experimentId: $id) { metrics { metric variant
  controlN treatmentN controlMean treatmentMean } srm { counts { variant observed } } } }"""
WAIT_SECONDS = 60


def _run(api: Api, work: Callable[[Stores], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` on the app's own loop, with its stores."""
    stores: Stores = api.client.app.state.stores  # type: ignore[attr-defined]

    async def call() -> T:
        return await work(stores)

    return api.client.portal.call(call)  # type: ignore[union-attr]


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the consumers did not catch up"
        time.sleep(0.2)


def _searched(stores: Stores) -> traces.SearchedStores:
    return traces.SearchedStores(
        stores.engine, stores.redis, stores.viewing, stores.events, stores.objects
    )


def _find(api: Api, ids: list[str], email: str) -> traces.Report:
    async def find(stores: Stores) -> traces.Report:
        return await traces.find_traces(_searched(stores), [UUID(i) for i in ids], email)

    return _run(api, find)


def _trending(api: Api) -> dict[str, Any]:
    """Every trending chart, with its scores ("seen" markers aside: they name profiles)."""

    async def charts(stores: Stores) -> dict[str, Any]:
        found: dict[str, Any] = {}
        async for key in stores.redis.scan_iter(match="trending:*"):
            if not key.startswith("trending:seen:"):
                found[key] = await stores.redis.zrange(key, 0, -1, withscores=True)
        return found

    return _run(api, charts)


def _experiment_totals(api: Api) -> list[tuple[Any, ...]]:
    columns = experiment_profiles.c
    query = (
        select(
            columns.experiment_key,
            columns.variant,
            func.count(),
            func.sum(columns.starts),
            func.sum(columns.watch_seconds),
            func.sum(columns.completions),
            func.sum(columns.pre_watch_seconds),
        )
        .group_by(columns.experiment_key, columns.variant)
        .order_by(columns.experiment_key, columns.variant)
    )

    async def totals(stores: Stores) -> list[tuple[Any, ...]]:
        async with stores.engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(query)]

    return _run(api, totals)


def _starts(api: Api, profile: str) -> int:
    async def starts(stores: Stores) -> int:
        async with stores.engine.connect() as connection:
            found = await connection.scalar(
                select(func.coalesce(func.sum(experiment_profiles.c.starts), 0)).where(
                    experiment_profiles.c.profile_id == profile
                )
            )
            return int(found or 0)

    return _run(api, starts)


def _seen_markers(api: Api, profile: str) -> int:
    async def count(stores: Stores) -> int:
        return len(
            [key async for key in stores.redis.scan_iter(match=f"trending:seen:*{profile}*")]
        )

    return _run(api, count)


def _archive(api: Api) -> None:
    """Everything of PLAYBACK and AUDIT to S3, as the nightly archival would in a year."""

    async def archive(stores: Stores) -> None:
        assert stores.objects is not None
        later = datetime.now(UTC) + timedelta(days=800)
        for stream in (Stream.PLAYBACK, Stream.AUDIT):
            await archive_stream(stores.events, stores.objects, stream, now=later)

    _run(api, archive)


def _archived_playback(api: Api, store: ObjectStore) -> list[dict[str, Any]]:
    """The archived PLAYBACK events, opened as a consumer would open them."""

    async def rows(stores: Stores) -> list[dict[str, Any]]:
        opened = []
        for info in await store.list(f"{archive_format.ROOT}/{Stream.PLAYBACK.value}"):
            if info.key.endswith(".parquet"):
                for row in archive_format.read_rows(await store.get(info.key)):
                    opened.append((await stores.events.open(_as_event(row))).payload)
        return opened

    return _run(api, rows)


def _as_event(row: archive_format.ArchivedEvent) -> Event:
    return Event(row.sequence, row.subject, row.payload, row.time)


def _play(api: Api, video: int) -> None:
    now = datetime.now(UTC).isoformat()
    events = [
        {"type": "START", "videoId": str(video), "at": now, "playbackSessionId": "ps-1"},
        {"type": "END", "videoId": str(video), "at": now, "durationMs": 60_000.0},
    ]
    assert api.data(REPORT, events=events) == {"reportPlaybackEvents": 2}


def _journey(api: Api, video: int) -> None:
    """Watched (a view for trending), listed, rated, played (experiment metrics)."""
    ok(api, video, 600.0, 10.0)
    api.data(ADD_TO_LIST, id=str(video))
    api.data(RATE, id=str(video))
    _play(api, video)


def test_an_erased_account_leaves_no_trace_and_the_aggregates_stand(
    make_api: Callable[..., Api],
    clean_database: str,
    catalog: dict[str, int],
    sync_bucket: ObjectStore,
) -> None:
    video = catalog["Babe"]
    gone = make_api(**s3_settings(sync_bucket.bucket))
    gone_profile = gone.viewer_with_profile("gone@example.com")
    stays = make_api()
    stays_profile = stays.viewer_with_profile("stays@example.com")
    admin = staff(make_api, clean_database)
    forced = [
        {"profileId": gone_profile, "variant": "charts-first"},
        {"profileId": stays_profile, "variant": "control"},
    ]
    experiment = admin.data(
        CREATE, input=experiment_definition("homepage_rows", forcedVariants=forced)
    )["createExperiment"]["id"]
    admin.data(START, id=experiment)
    for api, profile in ((gone, gone_profile), (stays, stays_profile)):
        api.client.app.state.stores.experiments.invalidate()  # type: ignore[attr-defined]
        api.data(PAGE)  # exposed
        _journey(api, video)
        wait_for_relay(api)
        _until(lambda api=api, profile=profile: _starts(api, profile) == 1)  # type: ignore[misc]
        _until(lambda api=api, profile=profile: _seen_markers(api, profile) == 1)  # type: ignore[misc]
    _archive(gone)

    # Before: the person is everywhere, their events sealed under a live key.
    account_id = gone.data("{ me { id } }")["me"]["id"]
    ids = [account_id, gone_profile]
    before = _find(gone, ids, "gone@example.com")
    assert not before.clean
    by_store = before.by_store()
    assert all(by_store[store] > 0 for store in ("postgres", "viewing", "redis", "event log"))
    assert by_store["archives"] > 0, before.findings
    for event in read_events_now(gone, Stream.VIEWING, sealed=True):
        assert "profile_id" not in event.payload and "device_id" not in event.payload
        assert gone_profile not in json.dumps(event.payload)
        assert event.payload["video_id"] == video and event.payload["sealed"]
    trending = _trending(gone)
    totals = _experiment_totals(gone)
    results = admin.data(RESULTS, id=experiment)
    archived = _archived_playback(gone, sync_bucket)
    assert {row.get("profile_id") for row in archived} == {gone_profile}

    assert gone.data(DELETE_ACCOUNT, password=PASSWORD) == {"deleteAccount": True}

    after = _find(gone, ids, "gone@example.com")
    assert after.clean, [f for f in after.findings if f.traces]
    assert after.by_store() == dict.fromkeys(by_store, 0)
    # Signed out everywhere, and gone: the password signs in to nothing.
    assert gone.data("{ me { id } }") == {"me": None}
    assert (
        gone.error_code(
            'mutation($p: String!) { login(email: "gone@example.com", password: $p) { token } }',
            p=PASSWORD,
        )
        == "UNAUTHENTICATED"
    )
    # The aggregates stand: trending's charts, the experiment's totals and its analysis.
    assert _trending(gone) == trending
    assert _experiment_totals(gone) == totals
    assert admin.data(RESULTS, id=experiment) == results
    # The archived events are still there, still counting what happened, naming no one.
    unsealed = _archived_playback(gone, sync_bucket)
    assert {(row.get("profile_id"), row.get("playback_session_id")) for row in unsealed} == {
        (None, None)
    }

    def happened(rows: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
        return Counter((row["type"], row["video_id"], row["at"][:10]) for row in rows)

    assert happened(unsealed) == happened(archived)
    # Another person's data is untouched.
    assert stays.data("{ myList(first: 5) { edges { node { id } } } }")["myList"]["edges"]
    assert _find(stays, [stays_profile], "stays@example.com").by_store()["postgres"] > 0


def test_a_wrong_password_deletes_nothing(make_api: Callable[..., Api]) -> None:
    api = make_api()
    profile = api.viewer_with_profile("careful@example.com")
    before = _find(api, [profile], "careful@example.com")
    error = api.first_error(DELETE_ACCOUNT, password="not my password")
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "nothing was deleted" in error["message"]
    assert api.data("{ me { profiles { id } } }")["me"]["profiles"] == [{"id": profile}]
    assert _find(api, [profile], "careful@example.com").by_store() == before.by_store()


def test_deleting_a_profile_erases_it_and_only_it(
    make_api: Callable[..., Api], catalog: dict[str, int]
) -> None:
    api = make_api()
    kept = api.viewer_with_profile("family@example.com")
    video = catalog["Babe"]
    api.data(ADD_TO_LIST, id=str(video))
    child = api.create_profile("Child")
    api.select_profile(child)
    ok(api, video, 600.0, 10.0)
    api.data(RATE, id=str(video))
    wait_for_relay(api)
    assert not _find(api, [child], "").clean
    assert api.data("mutation($id: ID!) { deleteProfile(id: $id) }", id=child) == {
        "deleteProfile": True
    }
    assert _find(api, [child], "").clean
    api.select_profile(kept)
    assert api.data("{ myList(first: 5) { edges { node { id } } } }")["myList"]["edges"]


def test_the_cli_erases_and_verifies(
    make_api: Callable[..., Api], clean_database: str, clean_redis: str, catalog: dict[str, int]
) -> None:
    api = make_api()
    profile = api.viewer_with_profile("cli@example.com")
    ok(api, catalog["Babe"], 600.0, 10.0)
    wait_for_relay(api)
    events = api.client.app.state.stores.events  # type: ignore[attr-defined]
    env = {
        "FLIX_DATABASE_URL": clean_database,
        "FLIX_REDIS_URL": clean_redis,
        "FLIX_NATS_URL": NATS_URL,
        "FLIX_KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP,  # the broker and viewing store in use
        **CLI_ENV,
        "FLIX_EVENTS_PREFIX": events.prefix,
    }
    runner = CliRunner()
    found = runner.invoke(cli, ["privacy", "verify", profile, "--json"], env=env)
    assert found.exit_code == 1 and isinstance(found.exception, SystemExit), found.output
    assert json.loads(found.output)["by_store"]["event log"] > 0
    erased = runner.invoke(cli, ["privacy", "erase", "cli@example.com", "--yes"], env=env)
    assert erased.exit_code == 0, erased.output
    assert "no trace of" in erased.output
    clean = runner.invoke(cli, ["privacy", "verify", profile, "--json"], env=env)
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.output)["clean"] is True
    unknown = runner.invoke(cli, ["privacy", "erase", "nobody@example.com", "--yes"], env=env)
    assert unknown.exit_code == 1
