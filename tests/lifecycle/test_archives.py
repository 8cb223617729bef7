"""Archival on the real event log and a real S3 bucket: archive, verify, trim, resume, prune.

Events carry the date they happened in their payload's ``at`` (as playback events and audit
records do), so a test can spread them over days; the broker stamps them now, and the
archiver runs with a clock past their hot window.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.retention import RETENTION, Data
from datasources.events import Broker, EventLog, Stream, message_id
from datasources.objects import ObjectInfo, ObjectStore
from datasources.stores import StoreConfig, connect_event_log
from lifecycle.archive_format import (
    ArchiveCorrupt,
    archived_days,
    manifest_key,
    partition,
    read_manifest,
    read_part,
    verify,
)
from lifecycle.archiver import archive_stream, prune_cold
from lifecycle.audit import AuditAction, audit
from tests.helpers.objects import bucket
from tests.helpers.stores import KAFKA_BOOTSTRAP, NATS_URL

__all__ = ["bucket"]

HOT = RETENTION[Data.PLAYBACK_EVENTS].hot
TODAY = datetime.now(UTC).date()
DAYS = [TODAY - timedelta(days=3), TODAY - timedelta(days=2), TODAY - timedelta(days=1)]
# Past every event's hot window: the broker stamped them all today.
LATER = datetime.now(UTC) + HOT + timedelta(days=1)


@pytest.fixture(params=["nats", "kafka"])
async def log(request: pytest.FixtureRequest, engine: AsyncEngine) -> AsyncIterator[EventLog]:
    broker: Broker = request.param
    if broker == "kafka" and not KAFKA_BOOTSTRAP:
        pytest.skip("Kafka needs FLIX_TEST_KAFKA_BOOTSTRAP (no broker given)")
    config = StoreConfig(
        "",
        "",
        NATS_URL,
        event_log=broker,
        kafka_bootstrap=KAFKA_BOOTSTRAP,
        events_prefix=f"t{uuid.uuid4().hex[:10]}_",
    )
    log = await connect_event_log(config, engine)
    await log.ensure_streams()
    yield log
    await log.delete_streams()
    await log.close()


async def _publish(log: EventLog, per_day: dict[date, int]) -> int:
    """Playback starts, ``per_day[d]`` of them on each day, interleaved as late reports
    would be; how many in all."""
    total = 0
    for round_ in range(max(per_day.values())):
        for day, count in per_day.items():
            if round_ < count:
                at = datetime.combine(day, time(12), UTC) + timedelta(seconds=round_)
                payload = {"type": "START", "profile_id": str(uuid.uuid4()), "at": at.isoformat()}
                assert await log.publish(Stream.PLAYBACK, "start", payload, message_id(payload))
                total += 1
    return total


async def _remaining(log: EventLog, stream: Stream = Stream.PLAYBACK) -> list[int]:
    return [event.sequence async for event in log.read(stream)]


async def _archived_sequences(store: ObjectStore, stream: Stream) -> list[int]:
    sequences = []
    for day in await archived_days(store, stream):
        manifest = await read_manifest(store, stream, day)
        assert manifest is not None
        for part in manifest.parts:
            sequences += [row.sequence for row in await read_part(store, part)]
    return sorted(sequences)


async def test_old_events_are_archived_verified_then_trimmed(
    log: EventLog, bucket: ObjectStore
) -> None:
    total = await _publish(log, {DAYS[0]: 5, DAYS[1]: 3, DAYS[2]: 4})
    report = await archive_stream(log, bucket, Stream.PLAYBACK, now=LATER)
    assert (report.events, report.skipped, report.days) == (12, 0, set(DAYS))
    assert await archived_days(bucket, Stream.PLAYBACK) == DAYS
    for day, count in zip(DAYS, (5, 3, 4), strict=True):
        manifest = await read_manifest(bucket, Stream.PLAYBACK, day)
        assert manifest is not None and await verify(bucket, manifest) == count
        rows = await read_part(bucket, manifest.parts[0])
        assert {row.payload["at"][:10] for row in rows} == {day.isoformat()}
        assert {row.subject for row in rows} == {"playback.start"}  # no log prefix
    assert await _archived_sequences(bucket, Stream.PLAYBACK) == list(range(1, total + 1))
    assert await _remaining(log) == []  # the hot copies are gone, the archive has them
    again = await archive_stream(log, bucket, Stream.PLAYBACK, now=LATER)
    assert (again.events, again.skipped) == (0, 0)


async def test_events_inside_the_hot_window_stay(log: EventLog, bucket: ObjectStore) -> None:
    await _publish(log, {TODAY: 3})
    report = await archive_stream(log, bucket, Stream.PLAYBACK)  # now: they are fresh
    assert report.events == 0 and report.trimmed_to is None
    assert await _remaining(log) == [1, 2, 3]
    assert await bucket.list("archives") == []


class Interrupted(Exception):
    pass


async def test_an_interrupted_run_resumes_without_duplicates_or_gaps(
    log: EventLog, bucket: ObjectStore
) -> None:
    total = await _publish(log, {DAYS[0]: 4, DAYS[1]: 4, DAYS[2]: 4})

    def stop_after_the_first(stream: Stream, day: date, events: int) -> None:
        raise Interrupted(day)

    with pytest.raises(Interrupted):
        await archive_stream(log, bucket, Stream.PLAYBACK, now=LATER, progress=stop_after_the_first)
    assert await archived_days(bucket, Stream.PLAYBACK) == DAYS[:1]
    assert len(await _remaining(log)) == total  # nothing trimmed before its archive

    resumed = await archive_stream(log, bucket, Stream.PLAYBACK, now=LATER)
    assert (resumed.events, resumed.skipped) == (8, 4)
    assert await _archived_sequences(bucket, Stream.PLAYBACK) == list(range(1, total + 1))
    assert await _remaining(log) == []


class ManifestFails:
    """The real bucket, whose next put of a manifest for ``day`` fails: a run that dies
    between writing a part and naming it."""

    def __init__(self, store: ObjectStore, day: date) -> None:
        self._store = store
        self._key = manifest_key(Stream.PLAYBACK, day)
        self.armed = True

    async def put(self, key: str, data: bytes, **options: Any) -> ObjectInfo:
        if key == self._key and self.armed:
            self.armed = False
            raise Interrupted(key)
        return await self._store.put(key, data, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_a_part_never_named_by_a_manifest_is_replaced(
    log: EventLog, bucket: ObjectStore
) -> None:
    total = await _publish(log, {DAYS[0]: 3, DAYS[1]: 3})
    failing = ManifestFails(bucket, DAYS[1])
    with pytest.raises(Interrupted):
        await archive_stream(log, failing, Stream.PLAYBACK, now=LATER)
    stray = await bucket.list(partition(Stream.PLAYBACK, DAYS[1]))
    assert len(stray) == 1 and stray[0].key.endswith(".parquet")  # a part, no manifest
    assert await archived_days(bucket, Stream.PLAYBACK) == DAYS[:1]

    await _publish(log, {DAYS[1]: 2})  # more arrived meanwhile: the part's range changes
    resumed = await archive_stream(log, bucket, Stream.PLAYBACK, now=LATER)
    assert (resumed.events, resumed.skipped) == (5, 3)
    assert await _archived_sequences(bucket, Stream.PLAYBACK) == list(range(1, total + 3))
    keys = [info.key for info in await bucket.list(partition(Stream.PLAYBACK, DAYS[1]))]
    assert len(keys) == 2  # one part and its manifest: the stray went


async def test_a_damaged_part_fails_verification(log: EventLog, bucket: ObjectStore) -> None:
    await _publish(log, {DAYS[0]: 3})
    await archive_stream(log, bucket, Stream.PLAYBACK, now=LATER)
    manifest = await read_manifest(bucket, Stream.PLAYBACK, DAYS[0])
    assert manifest is not None
    await bucket.put(manifest.parts[0].key, b"PAR1 not really")
    with pytest.raises(ArchiveCorrupt):
        await verify(bucket, manifest)


async def test_cold_archives_go_after_their_cold_window(log: EventLog, bucket: ObjectStore) -> None:
    await _publish(log, {DAYS[0]: 2, DAYS[1]: 2, DAYS[2]: 2})
    await archive_stream(log, bucket, Stream.PLAYBACK, now=LATER)
    rule = RETENTION[Data.PLAYBACK_EVENTS]
    # The day DAYS[1]'s events turn hot + cold old: DAYS[0] is past it, DAYS[1] is not yet.
    now = datetime.combine(DAYS[1], time(1), UTC) + rule.hot + rule.cold
    assert await prune_cold(bucket, Stream.PLAYBACK, now=now) == [DAYS[0]]
    assert await archived_days(bucket, Stream.PLAYBACK) == DAYS[1:]
    assert await bucket.list(partition(Stream.PLAYBACK, DAYS[0])) == []


async def test_audit_records_are_archived_by_the_day_they_record(
    log: EventLog, bucket: ObjectStore
) -> None:
    account = uuid.uuid4()
    for day in DAYS[:2]:
        moment = datetime.combine(day, time(9), UTC)
        await audit(log, AuditAction.SIGNED_IN, account_id=account, ip="10.0.0.1", at=moment)
    later = datetime.now(UTC) + RETENTION[Data.AUDIT_LOG].hot + timedelta(days=1)
    report = await archive_stream(log, bucket, Stream.AUDIT, now=later)
    assert report.events == 2 and await archived_days(bucket, Stream.AUDIT) == DAYS[:2]
    manifest = await read_manifest(bucket, Stream.AUDIT, DAYS[0])
    assert manifest is not None
    (row,) = await read_part(bucket, manifest.parts[0])
    assert row.payload["action"] == "signed-in" and row.subject == "audit.signed-in"
    assert await _remaining(log, Stream.AUDIT) == []


async def test_trim_drops_events_up_to_a_sequence_and_keeps_the_rest(log: EventLog) -> None:
    await _publish(log, {TODAY: 5})
    await log.trim(Stream.PLAYBACK, 3)
    assert await _remaining(log) == [4, 5]
    assert await log.first_sequence(Stream.PLAYBACK) == 4
    await log.trim(Stream.PLAYBACK, 5)
    assert await _remaining(log) == []
    assert await log.first_sequence(Stream.PLAYBACK) == 6
