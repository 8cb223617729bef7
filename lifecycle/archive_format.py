"""How archived events are laid out on the object store, written and checked.

    archives/<STREAM>/date=YYYY-MM-DD/part-<first>-<last>.parquet
    archives/<STREAM>/date=YYYY-MM-DD/manifest.json

A date's partition holds the events that happened that day (UTC, by the payload's ``at``,
else the broker's time), one Parquet part per archive run that found some, named by the
first and last sequence it holds. The manifest lists the parts with their row counts,
sequence ranges and SHA-256; it is written only after each part it names was re-read and
matched, so **a date is archived when its manifest exists and its parts verify**. Parquet
columns: ``sequence`` (int64), ``time`` (the broker's, UTC), ``subject`` (without the log's
prefix) and ``payload`` (the JSON text as the log held it: sealed fields stay sealed).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from datasources.events import Stream
from datasources.objects import ObjectMissing, ObjectStore

FORMAT = 1
ROOT = "archives"
PARQUET_TYPE = "application/vnd.apache.parquet"
SCHEMA = pa.schema(
    [
        ("sequence", pa.int64()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("subject", pa.string()),
        ("payload", pa.string()),
    ]
)


class ArchiveCorrupt(RuntimeError):
    """An archive object does not match what its manifest says (or cannot be read)."""


@dataclass(frozen=True)
class ArchivedEvent:
    sequence: int
    time: datetime
    subject: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Part:
    key: str
    rows: int
    bytes: int
    sha256: str
    min_sequence: int
    max_sequence: int


@dataclass(frozen=True)
class Manifest:
    stream: Stream
    day: date
    parts: tuple[Part, ...] = ()
    archived_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def rows(self) -> int:
        return sum(part.rows for part in self.parts)

    @property
    def max_sequence(self) -> int:
        """Every event of this date up to this sequence is in a part (0: none yet)."""
        return max((part.max_sequence for part in self.parts), default=0)

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "stream": self.stream.value,
            "date": self.day.isoformat(),
            "rows": self.rows,
            "min_sequence": min((p.min_sequence for p in self.parts), default=0),
            "max_sequence": self.max_sequence,
            "objects": [vars(part) for part in self.parts],
            "archived_at": self.archived_at.isoformat(),
        }
        return json.dumps(document, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            document = json.loads(data)
            if document["format"] != FORMAT:
                raise ArchiveCorrupt(f"manifest format {document['format']} is not {FORMAT}")
            return cls(
                Stream(document["stream"]),
                date.fromisoformat(document["date"]),
                tuple(Part(**part) for part in document["objects"]),
                datetime.fromisoformat(document["archived_at"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ArchiveCorrupt(f"unreadable manifest: {error}") from error


def partition(stream: Stream, day: date) -> str:
    return f"{ROOT}/{stream.value}/date={day.isoformat()}"


def manifest_key(stream: Stream, day: date) -> str:
    return f"{partition(stream, day)}/manifest.json"


def part_key(stream: Stream, day: date, first: int, last: int) -> str:
    return f"{partition(stream, day)}/part-{first:012d}-{last:012d}.parquet"


def encode(events: Sequence[ArchivedEvent]) -> bytes:
    """The events as one Parquet file (zstd), in the order given."""
    table = pa.table(
        {
            "sequence": [event.sequence for event in events],
            "time": [event.time for event in events],
            "subject": [event.subject for event in events],
            "payload": [json.dumps(event.payload, separators=(",", ":")) for event in events],
        },
        schema=SCHEMA,
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def read_rows(data: bytes) -> list[ArchivedEvent]:
    """The events of one Parquet part, as written."""
    try:
        table = pq.read_table(io.BytesIO(data), schema=SCHEMA)
    except (pa.ArrowException, OSError) as error:
        raise ArchiveCorrupt(f"unreadable Parquet: {error}") from error
    return [
        ArchivedEvent(row["sequence"], row["time"], row["subject"], json.loads(row["payload"]))
        for row in table.to_pylist()
    ]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_part(part: Part, data: bytes) -> list[ArchivedEvent]:
    """The part's events, if ``data`` is what the manifest says it is; else ArchiveCorrupt."""
    if len(data) != part.bytes or sha256(data) != part.sha256:
        raise ArchiveCorrupt(f"{part.key}: checksum does not match its manifest")
    rows = read_rows(data)
    sequences = [row.sequence for row in rows]
    if len(rows) != part.rows or (
        rows and (min(sequences), max(sequences)) != (part.min_sequence, part.max_sequence)
    ):
        raise ArchiveCorrupt(f"{part.key}: rows do not match its manifest")
    return rows


async def read_manifest(store: ObjectStore, stream: Stream, day: date) -> Manifest | None:
    try:
        return Manifest.from_json(await store.get(manifest_key(stream, day)))
    except ObjectMissing:
        return None


async def read_part(store: ObjectStore, part: Part) -> list[ArchivedEvent]:
    """A part's events, verified against its manifest entry."""
    try:
        data = await store.get(part.key)
    except ObjectMissing:
        raise ArchiveCorrupt(f"{part.key}: named by the manifest, missing") from None
    return check_part(part, data)


async def verify(store: ObjectStore, manifest: Manifest) -> int:
    """Re-read every part of a date; its row count, or ArchiveCorrupt."""
    for part in manifest.parts:
        await read_part(store, part)
    return manifest.rows


async def archived_days(
    store: ObjectStore, stream: Stream, *, with_manifest: bool = True
) -> list[date]:
    """The dates of a stream that have a manifest (or, ``with_manifest=False``, any object
    at all: what a prune must clear), oldest first."""
    days = set()
    for info in await store.list(f"{ROOT}/{stream.value}"):
        folder, _, name = info.key.rpartition("/")
        if "/date=" in folder and (name == "manifest.json" or not with_manifest):
            with contextlib.suppress(ValueError):  # not ours: leave it alone
                days.add(date.fromisoformat(folder.rsplit("date=", 1)[1]))
    return sorted(days)
