"""Backups of the Cassandra viewing keyspace (lifecycle/cassandra_backups.py): a logical
export to S3, verified in a scratch keyspace, restored by inserts with TTLs and write times
kept. Skipped (visibly) where no Cassandra runs (FLIX_TEST_CASSANDRA_HOSTS unset)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from core.errors import Conflict
from datasources import cassandra_dumps
from datasources.objects import S3ObjectStore
from lifecycle.backups import CheckStatus
from lifecycle.cassandra_backups import (
    list_cassandra_backups,
    restore_cassandra_backup,
    run_cassandra_backup,
    verify_latest_cassandra_backup,
)
from tests.helpers.aio import blocking
from tests.helpers.objects import sync_bucket
from tests.helpers.stores import CASSANDRA_HOSTS

__all__ = ["sync_bucket"]

pytestmark = pytest.mark.skipif(
    not CASSANDRA_HOSTS, reason="needs FLIX_TEST_CASSANDRA_HOSTS (a Cassandra node)"
)
HOSTS = tuple(CASSANDRA_HOSTS.split(","))
PROFILE = uuid.uuid4()


@pytest.fixture
def keyspaces() -> Iterator[tuple[str, str]]:
    """A source keyspace with viewing rows (one with a TTL, one without), and the name of
    a target keyspace; both dropped after."""
    source, target = (f"flix_bk_{uuid.uuid4().hex[:10]}" for _ in range(2))
    cassandra_dumps.prepare_keyspace(HOSTS, source)
    with cassandra_dumps.session(HOSTS) as db:
        db.execute(
            f"INSERT INTO {source}.viewing_progress (profile_id, video_id, episode_id,"
            " position_seconds, duration_seconds, client_timestamp, device_id)"
            " VALUES (%s, 1, 0, 120.5, 6000, %s, 'tv') USING TTL 86400 AND TIMESTAMP 1000",
            (PROFILE, datetime(2026, 1, 1, tzinfo=UTC)),
        )
        db.execute(
            f"INSERT INTO {source}.viewing_titles (profile_id, video_id, episode_id,"
            " position_seconds, duration_seconds, state, client_timestamp, device_id)"
            " VALUES (%s, 1, 0, 120.5, 6000, 'IN_PROGRESS', %s, 'tv') USING TTL 0",
            (PROFILE, datetime(2026, 1, 1, tzinfo=UTC)),
        )
    yield source, target
    for keyspace in (source, target):
        cassandra_dumps.drop_keyspace(HOSTS, keyspace)


def test_an_export_verifies_and_restores_with_its_ttls(
    keyspaces: tuple[str, str], sync_bucket: S3ObjectStore
) -> None:
    source, target = keyspaces
    manifest = blocking(run_cassandra_backup(HOSTS, source, sync_bucket))
    assert manifest.counts == {"viewing_progress": 1, "viewing_titles": 1}
    assert [m.stamp for m in blocking(list_cassandra_backups(sync_bucket))] == [manifest.stamp]

    report = blocking(verify_latest_cassandra_backup(HOSTS, sync_bucket))
    assert report.passed, report.checks
    assert [c.status for c in report.checks] == [CheckStatus.PASS, CheckStatus.PASS]

    counts = blocking(restore_cassandra_backup(HOSTS, target, sync_bucket, "latest"))
    assert counts == manifest.counts
    with cassandra_dumps.session(HOSTS) as db:
        progress = db.execute(
            f"SELECT position_seconds, ttl(position_seconds) AS ttl,"
            f" writetime(position_seconds) AS written FROM {target}.viewing_progress"
        ).one()
        title = db.execute(f"SELECT state, ttl(state) AS ttl FROM {target}.viewing_titles").one()
    assert progress.position_seconds == 120.5
    assert 86000 < progress.ttl <= 86400  # the TTL left, not the table's default
    assert progress.written == 1000  # last-write-wins order kept
    assert (title.state, title.ttl) == ("IN_PROGRESS", None)  # no TTL stays none

    with pytest.raises(Conflict, match="holds rows"):
        blocking(restore_cassandra_backup(HOSTS, target, sync_bucket, "latest"))
    forced = blocking(restore_cassandra_backup(HOSTS, target, sync_bucket, "latest", force=True))
    assert forced == manifest.counts


def test_a_tampered_table_file_fails_verification(
    keyspaces: tuple[str, str], sync_bucket: S3ObjectStore
) -> None:
    source, _ = keyspaces
    manifest = blocking(run_cassandra_backup(HOSTS, source, sync_bucket))
    blocking(sync_bucket.put(manifest.tables["viewing_titles"].key, b"not what was exported"))

    report = blocking(verify_latest_cassandra_backup(HOSTS, sync_bucket))

    assert not report.passed
    assert report.checks[0].status == CheckStatus.FAIL
