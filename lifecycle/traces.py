"""Looking for a person in every store and archive: what ``flix privacy verify`` reports.

A trace is any of the person's identifiers (ids, email) found where it can be read: a row
of any PostgreSQL table (the event outbox included), a viewing-store row, a Redis key or
session, an event in any stream of the log, an archived event on S3. In the log and the
archives, sealed fields count as readable while their key exists: each event is opened as a
consumer would open it, and searched. An erased person's envelopes, whose keys are gone,
are noise and count for nothing.

Every check is a full scan (every table, key, event and archive object): an audit, run by
hand or after an erasure, not a request's work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.erasure import postgres as postgres_erasure
from datasources.erasure import redis as redis_erasure
from datasources.events import EventLog, Stream
from datasources.events.sealing import PayloadSealer
from datasources.objects import ObjectStore
from datasources.viewing.store import ViewingStore
from lifecycle import archive_format


@dataclass(frozen=True)
class Finding:
    """One place searched: how much was looked at, and how many traces were there."""

    store: str  # postgres, viewing, redis, event log, archives
    place: str  # a table, a stream, an archive object...
    scanned: int  # rows, keys, events or archived events looked at
    traces: int
    note: str = ""


@dataclass(frozen=True)
class Report:
    identifiers: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def clean(self) -> bool:
        return all(finding.traces == 0 for finding in self.findings)

    def by_store(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for finding in self.findings:
            totals[finding.store] = totals.get(finding.store, 0) + finding.traces
        return totals

    def as_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "identifiers": list(self.identifiers),
            "by_store": self.by_store(),
            "findings": [finding.__dict__ for finding in self.findings],
        }


@dataclass(frozen=True)
class SearchedStores:
    engine: AsyncEngine
    redis: Redis
    viewing: ViewingStore
    events: EventLog
    objects: ObjectStore | None  # no archives to search without an object store


def _mentions(document: Mapping[str, Any], needles: Sequence[str]) -> bool:
    text = json.dumps(document, default=str).lower()
    return any(needle in text for needle in needles)


class _EventSearch:
    """Counts an event as a trace if it names the person in the clear, or once opened."""

    def __init__(self, sealer: PayloadSealer, needles: Sequence[str]) -> None:
        self._sealer = sealer
        self._needles = needles
        self.scanned = self.in_clear = self.openable = 0

    async def check(self, payload: Mapping[str, Any]) -> None:
        self.scanned += 1
        if _mentions(payload, self._needles):
            self.in_clear += 1
        elif _mentions(await self._sealer.open(payload), self._needles):
            self.openable += 1

    def finding(self, store: str, place: str) -> Finding:
        note = f"{self.in_clear} in the clear, {self.openable} sealed under a live key"
        return Finding(store, place, self.scanned, self.in_clear + self.openable, note)


async def _postgres(stores: SearchedStores, needles: Sequence[str]) -> list[Finding]:
    counts = await postgres_erasure.traces(stores.engine, needles)
    return [Finding("postgres", table, rows, found) for table, (rows, found) in counts.items()]


async def _viewing(stores: SearchedStores, ids: Sequence[UUID]) -> Finding:
    rows = sum([await stores.viewing.rows_of(id_) for id_ in ids])
    return Finding("viewing", type(stores.viewing).__name__, len(ids), rows, "rows per profile")


async def _redis(stores: SearchedStores, needles: Sequence[str]) -> Finding:
    found = await redis_erasure.person_keys(stores.redis, needles)
    scanned = int(await stores.redis.dbsize())
    note = (
        f"{len(found.named)} named after them, {len(found.sessions)} sessions,"
        f" {len(found.watching_as)} watching as them"
    )
    return Finding("redis", "keys", scanned, len(found.all()), note)


async def _event_log(stores: SearchedStores, needles: Sequence[str]) -> list[Finding]:
    sealer = PayloadSealer(stores.engine)
    findings = []
    for stream in Stream:
        search = _EventSearch(sealer, needles)
        async for event in stores.events.read(stream):
            await search.check(event.payload)
        findings.append(search.finding("event log", stream.value))
    return findings


async def _archives(stores: SearchedStores, needles: Sequence[str]) -> list[Finding]:
    if stores.objects is None:
        return [Finding("archives", "(no object store configured)", 0, 0)]
    sealer = PayloadSealer(stores.engine)
    findings = []
    for info in await stores.objects.list(archive_format.ROOT):
        data = await stores.objects.get(info.key)
        if info.key.endswith(".parquet"):
            search = _EventSearch(sealer, needles)
            for row in archive_format.read_rows(data):
                await search.check(row.payload)
            findings.append(search.finding("archives", info.key))
        else:  # a manifest: counts and checksums, searched as text all the same
            text = data.decode(errors="replace").lower()
            traces = sum(needle in text for needle in needles)
            findings.append(Finding("archives", info.key, 1, traces))
    if not findings:
        findings.append(Finding("archives", f"{archive_format.ROOT}/ (empty)", 0, 0))
    return findings


async def find_traces(
    stores: SearchedStores, ids: Sequence[UUID], email: str | None = None
) -> Report:
    """Search every store and archive for ``ids`` (accounts or profiles) and ``email``."""
    needles = [str(id_).lower() for id_ in ids] + ([email.strip().lower()] if email else [])
    findings = [
        *await _postgres(stores, needles),
        await _viewing(stores, ids),
        await _redis(stores, needles),
        *await _event_log(stores, needles),
        *await _archives(stores, needles),
    ]
    return Report(tuple(needles), tuple(findings))
