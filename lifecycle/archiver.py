"""Archival: events past their hot window move from the event log to Parquet on S3.

For each archived stream (core/retention.py's rules with a cold window: PLAYBACK, AUDIT),
a run reads the log from its oldest event up to the first one the broker received inside
the hot window, ``CHUNK`` events at a time. Each chunk is grouped by the date the events
happened; each date gets a new part (written, re-read and checked: size, SHA-256, rows,
sequences), then its manifest names it; only once every date of the chunk is archived is
the log trimmed up to the chunk's last event. So:

- hot copies go only after their archive verified;
- an interrupted run (Ctrl-C, a crash, a failing store) resumes without duplicates or gaps:
  a date's manifest says up to which sequence its events are archived (every event of that
  date up to its parts' highest sequence is in one of them), and a resumed run skips those
  and archives the rest; a part written but never named by a manifest is replaced;
- cold partitions past their cold window are deleted (:func:`prune_cold`), manifest first:
  a date without a manifest is not archived, whatever parts remain (the next prune takes
  them).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import structlog

from core.retention import RETENTION as POLICY
from core.retention import Rule
from datasources.events import Event, EventLog, Stream
from datasources.events.contract import STREAM_DATA
from datasources.objects import ObjectStore
from lifecycle.archive_format import (
    PARQUET_TYPE,
    ArchiveCorrupt,
    ArchivedEvent,
    Manifest,
    Part,
    archived_days,
    check_part,
    encode,
    manifest_key,
    part_key,
    partition,
    read_manifest,
    sha256,
)

log = structlog.get_logger("flix.archiver")

CHUNK = 20_000  # events held in memory at once, and trimmed from the log together


def archived_streams() -> list[Stream]:
    """The streams whose rule keeps them cold (PLAYBACK, AUDIT)."""
    return [stream for stream, data in STREAM_DATA.items() if POLICY[data].archived]


def rule_of(stream: Stream) -> Rule:
    return POLICY[STREAM_DATA[stream]]


@dataclass
class ArchiveReport:
    stream: Stream
    events: int = 0  # archived by this run
    skipped: int = 0  # found archived already (a resumed run)
    days: set[date] = field(default_factory=set)
    trimmed_to: int | None = None


# Called after each date's part is archived: (stream, date, events in the part).
Progress = Callable[[Stream, date, int], None]


def event_day(event: Event) -> date:
    """The UTC date an event happened: its payload's ``at`` when it has one, else when the
    broker got it."""
    at = event.payload.get("at")
    if isinstance(at, str):
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(at)
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
    if event.time is None:
        raise ValueError(f"event {event.sequence} has no time to archive it by")
    return event.time.astimezone(UTC).date()


def _archived(event: Event, prefix: str) -> ArchivedEvent:
    assert event.time is not None  # read() sets it on both brokers
    return ArchivedEvent(
        event.sequence, event.time, event.subject.removeprefix(prefix.lower()), event.payload
    )


async def _cold_chunk(
    events: EventLog, stream: Stream, cutoff: datetime, start: int
) -> list[Event]:
    """Up to CHUNK events from ``start`` the broker received before ``cutoff``."""
    chunk: list[Event] = []
    reader = events.read(stream, from_sequence=start)
    try:
        async for event in reader:
            if event.time is None or event.time >= cutoff:
                break
            chunk.append(event)
            if len(chunk) >= CHUNK:
                break
    finally:
        await reader.aclose()  # type: ignore[attr-defined]
    return chunk


async def archive_stream(
    events: EventLog,
    store: ObjectStore,
    stream: Stream,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ArchiveReport:
    """Archive what of ``stream`` is older than its hot window, then trim it from the log."""
    cutoff = (now or datetime.now(UTC)) - rule_of(stream).hot
    report = ArchiveReport(stream)
    start = await events.first_sequence(stream)
    while chunk := await _cold_chunk(events, stream, cutoff, start):
        by_day: dict[date, list[ArchivedEvent]] = defaultdict(list)
        for event in chunk:
            by_day[event_day(event)].append(_archived(event, events.prefix))
        for day in sorted(by_day):
            added, skipped = await _archive_day(store, stream, day, by_day[day])
            report.events += added
            report.skipped += skipped
            report.days.add(day)
            if progress is not None:
                progress(stream, day, added)
        last = chunk[-1].sequence
        # Every date of the chunk is archived and verified: the hot copies may go.
        await events.trim(stream, last)
        report.trimmed_to = last
        start = last + 1
    log.info(
        "archived",
        stream=stream.value,
        events=report.events,
        skipped=report.skipped,
        days=len(report.days),
        trimmed_to=report.trimmed_to,
    )
    return report


async def _archive_day(
    store: ObjectStore, stream: Stream, day: date, rows: Sequence[ArchivedEvent]
) -> tuple[int, int]:
    """Add ``rows`` (those not archived yet) as a new part of the date; (added, skipped)."""
    manifest = await read_manifest(store, stream, day) or Manifest(stream, day)
    done = manifest.max_sequence
    new = [row for row in rows if row.sequence > done]
    if new:
        part = await _write_part(store, stream, day, new)
        manifest = replace(manifest, parts=(*manifest.parts, part), archived_at=datetime.now(UTC))
        await store.put(
            manifest_key(stream, day), manifest.to_json(), content_type="application/json"
        )
        if await read_manifest(store, stream, day) != manifest:
            raise ArchiveCorrupt(f"{manifest_key(stream, day)}: did not read back as written")
    await _drop_strays(store, manifest)
    return len(new), len(rows) - len(new)


async def _write_part(
    store: ObjectStore, stream: Stream, day: date, rows: Sequence[ArchivedEvent]
) -> Part:
    data = encode(rows)
    sequences = [row.sequence for row in rows]
    part = Part(
        key=part_key(stream, day, sequences[0], sequences[-1]),
        rows=len(rows),
        bytes=len(data),
        sha256=sha256(data),
        min_sequence=min(sequences),
        max_sequence=max(sequences),
    )
    await store.put(part.key, data, content_type=PARQUET_TYPE)
    # Verified as stored, not as sent: re-read, count and checksum before anyone relies on it.
    stored = check_part(part, await store.get(part.key))
    if [row.sequence for row in stored] != sequences:
        raise ArchiveCorrupt(f"{part.key}: sequences did not read back as written")
    return part


async def _drop_strays(store: ObjectStore, manifest: Manifest) -> None:
    """Delete parts of the date no manifest names (left by a run interrupted in between)."""
    named = {part.key for part in manifest.parts} | {manifest_key(manifest.stream, manifest.day)}
    for info in await store.list(partition(manifest.stream, manifest.day)):
        if info.key not in named:
            await store.delete(info.key)


async def prune_cold(
    store: ObjectStore, stream: Stream, *, now: datetime | None = None
) -> list[date]:
    """Delete the dates past the stream's cold window (hot + cold after they happened)."""
    rule = rule_of(stream)
    oldest_kept = ((now or datetime.now(UTC)) - rule.hot - rule.cold).date()
    pruned = []
    for day in await archived_days(store, stream, with_manifest=False):
        if day >= oldest_kept:
            break
        await store.delete(manifest_key(stream, day))  # first: the date is no longer archived
        for info in await store.list(partition(stream, day)):
            await store.delete(info.key)
        pruned.append(day)
    if pruned:
        log.info("pruned cold archives", stream=stream.value, days=len(pruned))
    return pruned
