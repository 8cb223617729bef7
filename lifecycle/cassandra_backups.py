"""Backups of the viewing keyspace where Cassandra is the viewing store: a logical export
(datasources/cassandra_dumps.py: every table as gzipped JSON lines, with TTLs and write
times), uploaded next to the PostgreSQL backups, verified by importing it into a scratch
keyspace, restored by inserts.

A backup is ``backups/cassandra/<UTC time>/<table>.jsonl.gz`` per table and, written last,
``backups/cassandra/<UTC time>.json``, its manifest (each table's rows, size and SHA-256).
Pruning keeps the newest of each of the last 7 days with backups, as for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from core.errors import Conflict, NotFound
from core.progress import Progress
from datasources import cassandra_dumps
from datasources.objects import ObjectStore, sha256_of_file
from lifecycle.backups import (
    KEEP_DAYS,
    BackupInvalid,
    Check,
    CheckStatus,
    TableReport,
    VerifyReport,
    silent,
    temporary_folder,
)

__all__ = [
    "CASSANDRA_PREFIX",
    "CassandraManifest",
    "keyspace_holds_rows",
    "list_cassandra_backups",
    "restore_cassandra_backup",
    "run_cassandra_backup",
    "verify_latest_cassandra_backup",
]

CASSANDRA_PREFIX = "backups/cassandra"
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class TableFile:
    key: str
    rows: int
    size: int
    sha256: str


@dataclass(frozen=True)
class CassandraManifest:
    created_at: datetime
    keyspace: str
    tables: dict[str, TableFile]
    format: int = 1

    @property
    def stamp(self) -> str:
        return self.created_at.strftime(_STAMP)

    @property
    def manifest_key(self) -> str:
        return f"{CASSANDRA_PREFIX}/{self.stamp}.json"

    @property
    def counts(self) -> dict[str, int]:
        return {name: table.rows for name, table in self.tables.items()}

    def to_json(self) -> bytes:
        body = asdict(self)
        body["created_at"] = self.created_at.isoformat()
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> CassandraManifest:
        try:
            body = json.loads(data)
            tables = {name: TableFile(**entry) for name, entry in body.pop("tables").items()}
            created_at = datetime.fromisoformat(body.pop("created_at"))
            return cls(tables=tables, created_at=created_at, **body)
        except (ValueError, KeyError, TypeError) as error:
            raise BackupInvalid(f"not a Cassandra backup manifest: {error}") from error


async def list_cassandra_backups(objects: ObjectStore) -> list[CassandraManifest]:
    """Every complete backup (one with a manifest), oldest first."""
    manifests = [
        CassandraManifest.from_json(await objects.get(info.key))
        for info in await objects.list(CASSANDRA_PREFIX)
        if info.key.count("/") == 2 and info.key.endswith(".json")
    ]
    return sorted(manifests, key=lambda manifest: manifest.created_at)


async def _prune(objects: ObjectStore, keep_days: int) -> list[str]:
    complete = await list_cassandra_backups(objects)
    newest: dict[date, CassandraManifest] = {}
    for manifest in complete:
        newest[manifest.created_at.date()] = manifest
    kept = {newest[day].stamp for day in sorted(newest)[-keep_days:]} if keep_days > 0 else set()
    doomed: list[str] = []
    for manifest in complete:
        if manifest.stamp not in kept:
            doomed.append(manifest.manifest_key)  # first: never complete-looking but partial
            doomed += [table.key for table in manifest.tables.values()]
    for key in doomed:
        await objects.delete(key)
    return doomed


async def run_cassandra_backup(
    hosts: Sequence[str],
    keyspace: str,
    objects: ObjectStore,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    keep_days: int = KEEP_DAYS,
    progress: Progress | None = None,
    work_dir: Path | None = None,
) -> CassandraManifest:
    """Export the keyspace to the object store, then prune (see the module)."""
    bars = progress or silent()
    created_at = now().astimezone(UTC).replace(microsecond=0)
    stamp = created_at.strftime(_STAMP)
    async with temporary_folder(work_dir) as folder:
        bars.start("export", f"export keyspace {keyspace}", 0)
        exports = await asyncio.to_thread(cassandra_dumps.export_keyspace, hosts, keyspace, folder)
        bars.finish("export")
        tables: dict[str, TableFile] = {}
        bars.start("upload", f"upload {CASSANDRA_PREFIX}/{stamp}/", len(exports))
        for done, export in enumerate(exports, 1):
            key = f"{CASSANDRA_PREFIX}/{stamp}/{export.table}.jsonl.gz"
            info = await objects.put_file(key, export.path, content_type="application/gzip")
            tables[export.table] = TableFile(key, export.rows, info.size, info.sha256 or "")
            bars.update("upload", done)
        bars.finish("upload")
    manifest = CassandraManifest(created_at=created_at, keyspace=keyspace, tables=tables)
    await objects.put(manifest.manifest_key, manifest.to_json(), content_type="application/json")
    await _prune(objects, keep_days)
    return manifest


async def _find(objects: ObjectStore, which: str | None) -> CassandraManifest:
    backups = await list_cassandra_backups(objects)
    if not backups:
        raise NotFound(f"no complete Cassandra backup under {CASSANDRA_PREFIX}/")
    if which in (None, "latest"):
        return backups[-1]
    for manifest in backups:
        if which in (manifest.stamp, manifest.manifest_key):
            return manifest
    raise NotFound(f"no complete Cassandra backup {which!r}")


async def _fetch(
    objects: ObjectStore, manifest: CassandraManifest, folder: Path
) -> tuple[dict[str, Path], list[str]]:
    """The table files, downloaded, and the tables whose checksum is not the manifest's."""
    files: dict[str, Path] = {}
    wrong: list[str] = []
    for name, table in manifest.tables.items():
        path = folder / f"{name}.jsonl.gz"
        await objects.download(table.key, path)
        if await asyncio.to_thread(sha256_of_file, path) != table.sha256:
            wrong.append(name)
        files[name] = path
    return files, wrong


async def verify_latest_cassandra_backup(
    hosts: Sequence[str],
    objects: ObjectStore,
    *,
    progress: Progress | None = None,
    work_dir: Path | None = None,
) -> VerifyReport:
    """Import the newest backup into a scratch keyspace (dropped afterwards) and check its
    checksums and row counts against the manifest."""
    bars = progress or silent()
    started = time.monotonic()
    manifest = await _find(objects, None)
    keyspace = f"flix_verify_{uuid.uuid4().hex[:12]}"
    checks: list[Check] = []
    restored: dict[str, int] = {}
    async with temporary_folder(work_dir) as folder:
        files, wrong = await _fetch(objects, manifest, folder)
        checks.append(
            Check("checksum", CheckStatus.FAIL, f"differ: {', '.join(wrong)}")
            if wrong
            else Check("checksum", CheckStatus.PASS, f"{len(files)} table files as in the manifest")
        )
        if not wrong:  # a file that is not what was exported is not imported
            try:
                bars.start("import", "import into a scratch keyspace", len(files))
                await asyncio.to_thread(cassandra_dumps.prepare_keyspace, hosts, keyspace)
                await asyncio.to_thread(cassandra_dumps.import_tables, hosts, keyspace, files)
                bars.finish("import")
                restored = await asyncio.to_thread(cassandra_dumps.count_rows, hosts, keyspace)
            finally:
                await asyncio.to_thread(cassandra_dumps.drop_keyspace, hosts, keyspace)
    differing = [name for name, rows in manifest.counts.items() if restored.get(name) != rows]
    total = sum(restored.values())
    if wrong:
        checks.append(Check("row counts", CheckStatus.FAIL, "not imported: checksums differ"))
    elif differing:
        checks.append(Check("row counts", CheckStatus.FAIL, f"differ: {', '.join(differing)}"))
    else:
        detail = f"{len(restored)} tables, {total} rows imported, each as in the manifest"
        checks.append(Check("row counts", CheckStatus.PASS, detail))
    return VerifyReport(
        backup=manifest.manifest_key,
        created_at=manifest.created_at,
        size=sum(table.size for table in manifest.tables.values()),
        scratch_database=keyspace,
        checks=checks,
        tables=[
            TableReport(name, table.rows, restored.get(name), None, 0, 0)
            for name, table in sorted(manifest.tables.items())
        ],
        seconds=time.monotonic() - started,
    )


async def keyspace_holds_rows(hosts: Sequence[str], keyspace: str) -> bool:
    """Whether a restore into the keyspace would need ``force`` (a missing one holds none)."""
    with_rows = await asyncio.to_thread(cassandra_dumps.count_rows, hosts, keyspace)
    return any(with_rows.values())


async def restore_cassandra_backup(
    hosts: Sequence[str],
    keyspace: str,
    objects: ObjectStore,
    which: str | None,
    *,
    force: bool = False,
    work_dir: Path | None = None,
) -> dict[str, int]:
    """Import a backup into ``keyspace`` (created and migrated when missing); one whose
    tables hold rows is refused unless ``force``, which truncates them first. Returns the
    rows per table afterwards."""
    manifest = await _find(objects, which)
    await asyncio.to_thread(cassandra_dumps.prepare_keyspace, hosts, keyspace)
    existing = await asyncio.to_thread(cassandra_dumps.count_rows, hosts, keyspace)
    if any(existing.values()) and not force:
        raise Conflict(f"keyspace {keyspace!r} holds rows: pass --force to replace them")
    async with temporary_folder(work_dir) as folder:
        files, wrong = await _fetch(objects, manifest, folder)
        if wrong:
            raise BackupInvalid(f"{manifest.manifest_key}: checksums differ for {wrong}")
        if any(existing.values()):
            await asyncio.to_thread(cassandra_dumps.truncate_tables, hosts, keyspace)
        await asyncio.to_thread(cassandra_dumps.import_tables, hosts, keyspace, files)
    return await asyncio.to_thread(cassandra_dumps.count_rows, hosts, keyspace)
