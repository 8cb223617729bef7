"""`flix archive backfill`: archived events back in PostgreSQL, once each, however often run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

from core.retention import RETENTION, Data
from datasources.events import Stream, message_id
from datasources.objects import S3ObjectStore
from datasources.stores import StoreConfig, connect_event_log
from datasources.tables import archived_events
from lifecycle.archiver import archive_stream
from server.cli import app as cli
from server.settings import Settings
from tests.helpers.aio import blocking
from tests.helpers.objects import s3_settings, sync_bucket
from tests.helpers.stores import KAFKA_BOOTSTRAP, NATS_URL, REDIS_URL, delete_streams

__all__ = ["sync_bucket"]

TODAY = datetime.now(UTC).date()
DAYS = [TODAY - timedelta(days=n) for n in (4, 3, 2)]


def _env(database_url: str, bucket: S3ObjectStore, prefix: str) -> dict[str, str]:
    s3 = {f"FLIX_{name.upper()}": value for name, value in s3_settings(bucket.bucket).items()}
    return {
        "FLIX_DATABASE_URL": database_url,
        "FLIX_REDIS_URL": REDIS_URL,
        "FLIX_NATS_URL": NATS_URL,
        "FLIX_KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP,
        "FLIX_EVENTS_PREFIX": prefix,
        **s3,
    }


async def _archive_some(database_url: str, bucket: S3ObjectStore, prefix: str) -> int:
    """Playback events on three days, archived (the log trimmed); how many."""
    config = StoreConfig(
        database_url,
        "",
        NATS_URL,
        event_log=Settings().event_log,
        kafka_bootstrap=KAFKA_BOOTSTRAP,
        events_prefix=prefix,
    )
    engine = create_async_engine(database_url)
    log = await connect_event_log(config, engine)
    try:
        await log.ensure_streams()
        for day, count in zip(DAYS, (3, 4, 5), strict=True):
            for n in range(count):
                at = datetime.combine(day, time(20), UTC) + timedelta(minutes=n)
                payload = {"type": "END", "profile_id": str(uuid.uuid4()), "at": at.isoformat()}
                await log.publish(Stream.PLAYBACK, "end", payload, message_id(payload))
        later = datetime.now(UTC) + RETENTION[Data.PLAYBACK_EVENTS].hot + timedelta(days=1)
        report = await archive_stream(log, bucket, Stream.PLAYBACK, now=later)
        await log.delete_streams()
        return report.events
    finally:
        await log.close()
        await engine.dispose()


async def _loaded(database_url: str) -> dict[str, int]:
    engine = create_async_engine(database_url)
    query = select(archived_events.c.event_date, func.count()).group_by(
        archived_events.c.event_date
    )
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {day.isoformat(): count for day, count in rows}
    finally:
        await engine.dispose()


def _backfill(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["archive", "backfill", *args], env=env)


def test_backfill_loads_each_archived_event_once(
    clean_database: str, sync_bucket: S3ObjectStore
) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    assert blocking(_archive_some(clean_database, sync_bucket, prefix)) == 12
    env = _env(clean_database, sync_bucket, prefix)
    days = ["--from", DAYS[0].isoformat(), "--to", DAYS[1].isoformat()]

    first = _backfill(env, "--stream", "PLAYBACK", *days)
    assert first.exit_code == 0, first.output
    assert "7 events added, 0 already there" in first.output
    assert blocking(_loaded(clean_database)) == {DAYS[0].isoformat(): 3, DAYS[1].isoformat(): 4}

    again = _backfill(env, "--stream", "PLAYBACK", *days)
    assert again.exit_code == 0, again.output
    assert "0 events added, 7 already there" in again.output

    wider = _backfill(env, "--from", DAYS[0].isoformat(), "--to", TODAY.isoformat())
    assert "5 events added, 7 already there" in wider.output
    assert sum(blocking(_loaded(clean_database)).values()) == 12


def test_bad_backfill_arguments_change_nothing(
    clean_database: str, sync_bucket: S3ObjectStore
) -> None:
    env = _env(clean_database, sync_bucket, "unused_")
    backwards = _backfill(env, "--from", "2026-03-02", "--to", "2026-03-01")
    assert backwards.exit_code == 2 and "before --from" in backwards.output
    not_archived = _backfill(
        env, "--stream", "VIEWING", "--from", "2026-03-01", "--to", "2026-03-01"
    )
    assert not_archived.exit_code == 2 and "not archived" in not_archived.output
    malformed = _backfill(env, "--from", "March", "--to", "2026-03-01")
    assert malformed.exit_code == 2
    assert blocking(_loaded(clean_database)) == {}


def test_archive_run_and_verify_by_hand(clean_database: str, sync_bucket: S3ObjectStore) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    blocking(_archive_some(clean_database, sync_bucket, prefix))
    env = _env(clean_database, sync_bucket, prefix)
    # Nothing of the (new, empty) log is cold yet: the run archives nothing, and says so.
    try:
        ran = CliRunner().invoke(cli, ["archive", "run"], env=env)
    finally:
        blocking(delete_streams(prefix))  # the run made the streams again
    assert ran.exit_code == 0, ran.output
    assert "PLAYBACK 0 events" in ran.output and "AUDIT 0 events" in ran.output
    verified = CliRunner().invoke(cli, ["archive", "verify"], env=env)
    assert verified.exit_code == 0 and "every archived day verifies" in verified.output
    # A damaged part is found and named.
    part = next(i.key for i in blocking(sync_bucket.list("archives")) if i.key.endswith("parquet"))
    blocking(sync_bucket.put(part, b"damaged"))
    damaged = CliRunner().invoke(cli, ["archive", "verify"], env=env)
    assert damaged.exit_code == 1 and "checksum does not match" in damaged.output
