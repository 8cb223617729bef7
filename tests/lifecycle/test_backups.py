"""Backups that restore (lifecycle/backups.py) on the real PostgreSQL and S3 (rclone): a
backup verifies, a tampered one does not, a restore into a fresh database gives the same
counts and a homepage that works, a non-empty database is refused, and 7 days are kept."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from starlette.testclient import TestClient

from core.errors import Conflict
from datasources import database_census
from datasources.objects import S3ObjectStore
from lifecycle.backups import (
    BACKUP_PREFIX,
    SCRATCH_PREFIX,
    BackupManifest,
    CheckStatus,
    list_backups,
    restore_backup,
    run_backup,
    verify_latest_backup,
)
from server.app import create_app
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.objects import sync_bucket
from tests.helpers.progress import ok
from tests.helpers.stores import (
    ADMIN_URL,
    TEST_DATABASE,
    delete_streams,
    drop_database,
    settings_for,
)

__all__ = ["sync_bucket"]  # the fixture, used by name below

PASSWORD = "correct horse battery"
# What the test itself wrote: the in-process worker goes on relaying events (event_outbox)
# while a test runs, so only these tables of the live source hold still.
WRITTEN = ("accounts", "profiles", "videos", "my_list", "ratings")
HOMEPAGE = "{ homepage { rows { kind items { id title } } } }"
RESTORED = f"flix_test_restored_{os.getpid()}"


@pytest.fixture
def watched(api: Api, catalog: dict[str, int]) -> dict[str, int]:
    """A viewer who has watched, listed and rated titles: rows across many tables."""
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    ok(api, catalog["Twelve Monkeys"], 3000, at=1)
    api.data("mutation($id: ID!) { addToMyList(videoId: $id) { id } }", id=str(catalog["Babe"]))
    api.data(
        "mutation($id: ID!) { rateTitle(videoId: $id, rating: THUMBS_UP) { id } }",
        id=str(catalog["Crash"]),
    )
    return catalog


@pytest.fixture
def restored_url(database_url: str) -> Iterator[str]:
    """The URL of a database that does not exist yet (restores create it); dropped after."""
    blocking(drop_database(RESTORED))
    yield database_census.with_database(database_url, RESTORED)
    blocking(drop_database(RESTORED))


async def _counts(database_url: str) -> dict[str, int]:
    async with database_census.connect(database_url) as connection:
        return (await database_census.census(connection, sample_rows=0)).counts


_SCRATCH = f"{SCRATCH_PREFIX}{TEST_DATABASE}_"


async def _scratch_databases() -> list[str]:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        rows = await connection.fetch("SELECT datname FROM pg_database")
    finally:
        await connection.close()
    # This process's: tests on other workers verify their own backups meanwhile.
    return [row["datname"] for row in rows if row["datname"].startswith(_SCRATCH)]


def test_a_backup_verifies_against_its_source(
    watched: dict[str, int], clean_database: str, sync_bucket: S3ObjectStore
) -> None:
    result = blocking(run_backup(clean_database, sync_bucket))

    keys = [info.key for info in blocking(sync_bucket.list(BACKUP_PREFIX))]
    assert keys == [result.manifest.dump_key, result.manifest.manifest_key]
    source = blocking(_counts(clean_database))
    assert {t: result.manifest.counts[t] for t in WRITTEN} == {t: source[t] for t in WRITTEN}
    assert result.manifest.counts["profiles"] == 1 and result.manifest.counts["videos"] > 0

    report = blocking(verify_latest_backup(clean_database, sync_bucket))

    assert report.passed, report.checks
    statuses = {check.name: check.status for check in report.checks}
    assert statuses == {
        "checksum": CheckStatus.PASS,
        "restore": CheckStatus.PASS,
        "row counts": CheckStatus.PASS,
        "foreign keys": CheckStatus.PASS,
        "sample rows": CheckStatus.PASS,
        "source now": CheckStatus.INFO,
    }
    assert report.backup == result.manifest.dump_key
    for table in report.tables:
        assert table.restored == table.backed_up, table
        assert table.sample_matches == table.sampled
    assert sum(table.sampled for table in report.tables) > 0
    assert blocking(_scratch_databases()) == []  # the scratch database is gone


def test_a_tampered_dump_fails_verification(
    watched: dict[str, int], clean_database: str, sync_bucket: S3ObjectStore
) -> None:
    manifest = blocking(run_backup(clean_database, sync_bucket)).manifest
    dump = bytearray(blocking(sync_bucket.get(manifest.dump_key)))
    middle = len(dump) // 2
    dump[middle : middle + 64] = bytes(64)  # a stretch of the archive zeroed
    blocking(sync_bucket.put(manifest.dump_key, bytes(dump)))

    report = blocking(verify_latest_backup(clean_database, sync_bucket))

    assert not report.passed
    checks = {check.name: check for check in report.checks}
    assert checks["checksum"].status == CheckStatus.FAIL
    assert blocking(_scratch_databases()) == []


def test_a_manifest_that_disagrees_with_the_dump_fails_verification(
    watched: dict[str, int], clean_database: str, sync_bucket: S3ObjectStore
) -> None:
    """A dump that restores cleanly but lacks rows the source had (here: the manifest says
    one more profile than the dump holds) fails on the counts, and a changed sample row on
    the samples."""
    manifest = blocking(run_backup(clean_database, sync_bucket)).manifest
    body: dict[str, Any] = json.loads(blocking(sync_bucket.get(manifest.manifest_key)))
    body["tables"]["profiles"]["rows"] += 1
    sample = body["tables"]["videos"]["sample"]
    first = sorted(sample)[0]
    sample[first] = "0" * 32
    blocking(sync_bucket.put(manifest.manifest_key, json.dumps(body).encode()))

    report = blocking(verify_latest_backup(clean_database, sync_bucket))

    checks = {check.name: check for check in report.checks}
    assert checks["checksum"].status == CheckStatus.PASS
    assert checks["restore"].status == CheckStatus.PASS
    assert checks["row counts"].status == CheckStatus.FAIL
    assert "profiles" in checks["row counts"].detail
    assert checks["sample rows"].status == CheckStatus.FAIL
    assert "videos (1 of" in checks["sample rows"].detail
    assert not report.passed


def test_a_restore_into_a_fresh_database_has_the_same_counts_and_a_working_homepage(
    watched: dict[str, int],
    clean_database: str,
    clean_redis: str,
    sync_bucket: S3ObjectStore,
    restored_url: str,
) -> None:
    blocking(run_backup(clean_database, sync_bucket))

    restored = blocking(restore_backup(restored_url, sync_bucket, "latest"))

    assert restored.matches_manifest
    counts = blocking(_counts(restored_url))
    assert counts == restored.counts
    source = blocking(_counts(clean_database))
    assert {t: counts[t] for t in WRITTEN} == {t: source[t] for t in WRITTEN}
    settings = settings_for(restored_url, clean_redis)
    with TestClient(create_app(settings)) as client:
        try:
            api = Api(client)
            login = api.data(
                "mutation($email: String!, $password: String!) {"
                " login(email: $email, password: $password) { token } }",
                email="ada@example.com",
                password=PASSWORD,
            )
            api.token = login["login"]["token"]
            api.password = PASSWORD
            profiles = api.data("{ me { profiles { id } } }")["me"]["profiles"]
            api.select_profile(profiles[0]["id"])
            rows = api.data(HOMEPAGE)["homepage"]["rows"]
        finally:
            blocking(delete_streams(settings.events_prefix))
    assert rows and all(row["items"] for row in rows)
    listed = [row for row in rows if row["kind"] == "MY_LIST"]
    assert [item["title"] for item in listed[0]["items"]] == ["Babe"]


def test_a_restore_refuses_a_database_that_holds_tables_unless_forced(
    watched: dict[str, int], clean_database: str, sync_bucket: S3ObjectStore
) -> None:
    manifest = blocking(run_backup(clean_database, sync_bucket)).manifest
    blocking(_execute(clean_database, "DELETE FROM my_list"))
    before = blocking(_counts(clean_database))

    with pytest.raises(Conflict, match="not empty"):
        blocking(restore_backup(clean_database, sync_bucket, manifest.dump_key))
    after = blocking(_counts(clean_database))
    assert {t: after[t] for t in WRITTEN} == {t: before[t] for t in WRITTEN}  # nothing changed
    assert after["my_list"] == 0

    forced = blocking(restore_backup(clean_database, sync_bucket, manifest.dump_key, force=True))
    # The test's app still runs on this database (its worker relays events into
    # event_outbox at any moment): the tables the test wrote are the ones to compare.
    assert {t: forced.counts[t] for t in WRITTEN} == {t: manifest.counts[t] for t in WRITTEN}
    assert blocking(_counts(clean_database))["my_list"] == manifest.counts["my_list"] == 1


def test_pruning_keeps_the_newest_backup_of_each_of_the_last_7_days(
    catalog: dict[str, int], clean_database: str, sync_bucket: S3ObjectStore
) -> None:
    day = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    times = [day + timedelta(days=n) for n in range(9)]
    times.insert(5, times[4] + timedelta(hours=6))  # two on the 5th day: the later one stays
    for at in times:
        blocking(run_backup(clean_database, sync_bucket, now=_clock(at)))

    kept = [manifest.created_at for manifest in blocking(list_backups(sync_bucket))]

    # Nine days with backups: the first two days go, and the 5th day's earlier one.
    assert kept == [times[2], times[3], times[5], *times[6:]]
    assert len(kept) == 7
    assert len(blocking(sync_bucket.list(BACKUP_PREFIX))) == 14  # a dump and a manifest each


async def test_a_cancelled_backup_leaves_no_object_and_no_file(
    catalog: dict[str, int], clean_database: str, tmp_path: Path
) -> None:
    from tests.helpers.objects import create_bucket, remove_bucket

    store = await create_bucket()
    dumping = asyncio.Event()

    class CancelAtDump:
        def start(self, key: str, description: str, total: float) -> None:
            if key == "dump":
                dumping.set()

        def update(self, key: str, completed: float) -> None:
            pass

        def finish(self, key: str) -> None:
            pass

    try:
        backup = asyncio.create_task(
            run_backup(clean_database, store, progress=CancelAtDump(), work_dir=tmp_path)
        )
        await dumping.wait()
        backup.cancel()  # Ctrl-C while pg_dump runs
        with pytest.raises(asyncio.CancelledError):
            await backup
        assert await store.list() == []
        assert os.listdir(tmp_path) == []  # the temporary folder is gone
    finally:
        await remove_bucket(store)


def test_a_manifest_round_trips() -> None:
    manifest = BackupManifest(
        dump_key=f"{BACKUP_PREFIX}/20260301T020000Z.dump",
        created_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
        database="flix",
        sha256="ab" * 32,
        size=123,
        server_version="18.1",
        pg_dump_version="pg_dump (PostgreSQL) 18.1",
        tables={},
    )
    assert BackupManifest.from_json(manifest.to_json()) == manifest
    assert manifest.manifest_key == f"{BACKUP_PREFIX}/20260301T020000Z.json"


def _clock(at: datetime) -> Callable[[], datetime]:
    return lambda: at


async def _execute(database_url: str, statement: str) -> None:
    async with database_census.connect(database_url) as connection:
        await connection.execute(statement)
