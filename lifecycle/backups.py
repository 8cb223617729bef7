"""PostgreSQL backups on the object store, proven by restoring them.

A backup is two objects under ``backups/postgres/``: ``<UTC time>.dump`` (pg_dump's custom
format) and, written after it, ``<UTC time>.json``, its manifest: the dump's SHA-256 and
size, and a census of the database taken in the very snapshot the dump was taken from (each
table's row count and a fingerprinted random sample of its rows). A dump without a manifest
is an unfinished backup and is never restored.

- ``run_backup`` dumps to a temporary file, uploads it only once complete (S3 writes are
  atomic: a cancelled upload leaves nothing), then the manifest, then prunes: the newest
  backup of each of the last 7 days with backups stays, every other goes.
- ``verify_backup`` / ``verify_latest_backup`` restore one into a scratch database on the
  source's server and check it: checksum, a clean restore, the tables and row counts of the
  manifest, no orphaned foreign keys, and the sampled rows identical; the scratch database
  is dropped afterwards, pass or fail.
- ``restore_backup`` restores one into a database for real, refusing one that holds tables
  unless forced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import asyncpg

from core.errors import BadUserInput, Conflict, FlixError, NotFound
from core.progress import NoProgress, Progress
from datasources import database_census as db
from datasources.objects import ObjectStore, sha256_of_file
from datasources.postgres_dumps import (
    DumpFailed,
    dump_database,
    list_archive,
    restore_archive,
    tool_version,
)

__all__ = [
    "BACKUP_PREFIX",
    "KEEP_DAYS",
    "SCRATCH_PREFIX",
    "BackupInvalid",
    "BackupManifest",
    "BackupResult",
    "Check",
    "CheckStatus",
    "RestoreResult",
    "TableReport",
    "VerifyReport",
    "list_backups",
    "prune_backups",
    "restore_backup",
    "run_backup",
    "silent",
    "temporary_folder",
    "verify_backup",
    "verify_latest_backup",
]

BACKUP_PREFIX = "backups/postgres"
KEEP_DAYS = 7
SCRATCH_PREFIX = "flix_verify_"  # the databases verification restores into, dropped after
MANIFEST_FORMAT = 1
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class TableEntry:
    rows: int
    primary_key: list[str]
    sample: dict[str, str]  # primary key (JSON text) -> row fingerprint


@dataclass(frozen=True)
class BackupManifest:
    dump_key: str
    created_at: datetime
    database: str
    sha256: str
    size: int
    server_version: str
    pg_dump_version: str
    tables: dict[str, TableEntry]
    format: int = MANIFEST_FORMAT

    @property
    def manifest_key(self) -> str:
        return self.dump_key.removesuffix(".dump") + ".json"

    @property
    def counts(self) -> dict[str, int]:
        return {name: entry.rows for name, entry in self.tables.items()}

    def to_json(self) -> bytes:
        body = asdict(self)
        body["created_at"] = self.created_at.isoformat()
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> BackupManifest:
        try:
            body = json.loads(data)
            tables = {name: TableEntry(**entry) for name, entry in body.pop("tables").items()}
            created_at = datetime.fromisoformat(body.pop("created_at"))
            return cls(tables=tables, created_at=created_at, **body)
        except (ValueError, KeyError, TypeError) as error:
            raise BackupInvalid(f"not a backup manifest: {error}") from error


class BackupInvalid(FlixError):
    """A backup that cannot be used: no manifest, a manifest that does not parse, or a dump
    whose checksum is not the manifest's."""


@dataclass(frozen=True)
class BackupResult:
    manifest: BackupManifest
    pruned: list[str]  # keys deleted by pruning
    seconds: float


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INFO = "info"  # reported, never failing: the live source has moved on since the backup


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    detail: str


@dataclass(frozen=True)
class TableReport:
    name: str
    backed_up: int  # rows in the manifest (the source at backup time)
    restored: int | None  # rows in the scratch database (None: not restored)
    source_now: int | None  # rows in the source now (None: no such table any more)
    sampled: int
    sample_matches: int


@dataclass(frozen=True)
class VerifyReport:
    backup: str
    created_at: datetime
    size: int
    scratch_database: str
    checks: list[Check]
    tables: list[TableReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(check.status != CheckStatus.FAIL for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["created_at"] = self.created_at.isoformat()
        body["passed"] = self.passed
        return body


@dataclass(frozen=True)
class RestoreResult:
    backup: str
    database: str
    counts: dict[str, int]
    matches_manifest: bool
    seconds: float


def silent() -> Progress:
    return NoProgress()


# --- listing and pruning -------------------------------------------------------------


def _dump_key(at: datetime) -> str:
    return f"{BACKUP_PREFIX}/{at.astimezone(UTC).strftime(_STAMP)}.dump"


async def list_backups(objects: ObjectStore) -> list[BackupManifest]:
    """Every complete backup (a dump with its manifest), oldest first."""
    listed = {info.key for info in await objects.list(BACKUP_PREFIX)}
    manifests = []
    for key in sorted(listed):
        if key.endswith(".json") and key.removesuffix(".json") + ".dump" in listed:
            manifests.append(BackupManifest.from_json(await objects.get(key)))
    return sorted(manifests, key=lambda manifest: manifest.created_at)


async def prune_backups(objects: ObjectStore, keep_days: int = KEEP_DAYS) -> list[str]:
    """Keep the newest backup of each of the ``keep_days`` latest days that have one; delete
    the rest, and dumps older than the newest kept one that never got a manifest."""
    complete = await list_backups(objects)
    newest_per_day: dict[date, BackupManifest] = {}
    for manifest in complete:  # oldest first: a later one of the same day replaces it
        newest_per_day[manifest.created_at.astimezone(UTC).date()] = manifest
    kept_days = sorted(newest_per_day)[-keep_days:] if keep_days > 0 else []
    kept = {newest_per_day[day].dump_key for day in kept_days}
    doomed: list[str] = []
    for manifest in complete:
        if manifest.dump_key not in kept:
            # The manifest first: a backup is never left looking complete without its dump.
            doomed += [manifest.manifest_key, manifest.dump_key]
    complete_dumps = {manifest.dump_key for manifest in complete}
    oldest_kept = min(kept, default="")
    for info in await objects.list(BACKUP_PREFIX):
        unfinished = info.key.endswith(".dump") and info.key not in complete_dumps
        if unfinished and info.key < oldest_kept:
            doomed.append(info.key)
    for key in doomed:
        await objects.delete(key)
    return doomed


# --- backup ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def temporary_folder(parent: Path | None) -> AsyncIterator[Path]:
    """A private temporary folder, removed with everything in it however the block ends."""
    folder = await asyncio.to_thread(tempfile.mkdtemp, prefix="flix-backup-", dir=parent)
    try:
        yield Path(folder)
    finally:
        await asyncio.to_thread(_remove_tree, Path(folder))


def _remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


async def run_backup(
    database_url: str,
    objects: ObjectStore,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    keep_days: int = KEEP_DAYS,
    progress: Progress | None = None,
    work_dir: Path | None = None,
) -> BackupResult:
    """Back the database up to the object store, then prune old backups (see the module)."""
    bars = progress or silent()
    started = time.monotonic()
    created_at = now().astimezone(UTC).replace(microsecond=0)
    dump_key = _dump_key(created_at)
    async with temporary_folder(work_dir) as folder:
        dump = folder / "backup.dump"
        async with db.exported_snapshot(database_url) as (connection, snapshot):
            server_version = str(await connection.fetchval("SHOW server_version"))
            tables = await db.table_names(connection)
            bars.start("census", "counting rows", len(tables))
            census = await db.census(connection)
            bars.finish("census")
            bars.start("dump", "pg_dump", len(tables))
            dumped: list[str] = []

            def on_table(name: str) -> None:
                dumped.append(name)
                bars.update("dump", len(dumped))

            await dump_database(database_url, dump, snapshot=snapshot, on_table=on_table)
            bars.finish("dump")
        size = (await asyncio.to_thread(dump.stat)).st_size
        bars.start("upload", f"upload {dump_key}", size)
        uploaded = await objects.put_file(
            dump_key,
            dump,
            content_type="application/vnd.postgresql.custom-dump",
            progress=lambda sent: bars.update("upload", sent),
        )
        bars.finish("upload")
    manifest = BackupManifest(
        dump_key=dump_key,
        created_at=created_at,
        database=db.database_name(database_url),
        sha256=uploaded.sha256 or "",
        size=size,
        server_version=server_version,
        pg_dump_version=await tool_version("pg_dump"),
        tables={
            table.name: TableEntry(table.rows, list(table.primary_key), table.sample)
            for table in census.tables
        },
    )
    # Written last: its presence is what makes the backup complete.
    await objects.put(manifest.manifest_key, manifest.to_json(), content_type="application/json")
    pruned = await prune_backups(objects, keep_days)
    return BackupResult(manifest, pruned, time.monotonic() - started)


# --- fetching a backup -----------------------------------------------------------------


async def _find(objects: ObjectStore, which: str | None) -> BackupManifest:
    """The backup ``which`` names (its dump key, its manifest key or its UTC time stamp), or
    the newest when None or "latest"."""
    backups = await list_backups(objects)
    if not backups:
        raise NotFound(f"no complete backup under {BACKUP_PREFIX}/ in bucket {objects.bucket}")
    if which in (None, "latest"):
        return backups[-1]
    for manifest in backups:
        stamp = manifest.created_at.strftime(_STAMP)
        if which in (manifest.dump_key, manifest.manifest_key, stamp):
            return manifest
    raise NotFound(f"no complete backup {which!r}; `flix backup list` shows them")


async def _download(
    objects: ObjectStore, manifest: BackupManifest, folder: Path, bars: Progress
) -> tuple[Path, str]:
    """The dump in a local file, and the SHA-256 of what arrived."""
    target = folder / "restore.dump"
    bars.start("download", f"download {manifest.dump_key}", manifest.size)
    await objects.download(
        manifest.dump_key, target, progress=lambda got: bars.update("download", got)
    )
    bars.finish("download")
    return target, await asyncio.to_thread(sha256_of_file, target)


# --- verify ----------------------------------------------------------------------------


async def verify_latest_backup(
    database_url: str,
    objects: ObjectStore,
    *,
    progress: Progress | None = None,
    work_dir: Path | None = None,
) -> VerifyReport:
    """Restore the newest backup into a scratch database and check it (see the module)."""
    return await verify_backup(database_url, objects, None, progress=progress, work_dir=work_dir)


async def verify_backup(
    database_url: str,
    objects: ObjectStore,
    which: str | None,
    *,
    progress: Progress | None = None,
    work_dir: Path | None = None,
) -> VerifyReport:
    bars = progress or silent()
    started = time.monotonic()
    manifest = await _find(objects, which)
    # Named after its source, so whose a leftover scratch database was is plain to see.
    scratch = f"{SCRATCH_PREFIX}{db.database_name(database_url)[:30]}_{uuid.uuid4().hex[:12]}"
    checks: list[Check] = []
    tables: list[TableReport] = []
    async with temporary_folder(work_dir) as folder:
        dump, digest = await _download(objects, manifest, folder, bars)
        checks.append(_checksum_check(manifest, digest))
        async with db.connect(database_url) as source:
            await db.create_database(source, scratch)
            try:
                restored = await _restore_check(
                    db.with_database(database_url, scratch), dump, manifest, bars
                )
                checks.append(restored)
                if restored.status == CheckStatus.PASS:
                    async with db.connect(db.with_database(database_url, scratch)) as copy:
                        bars.start("checks", "checking the restored copy", 3)
                        found, check_rows = await _count_checks(copy, manifest)
                        checks.append(check_rows)
                        bars.update("checks", 1)
                        checks.append(await _orphan_check(copy))
                        bars.update("checks", 2)
                        matches, sample_check = await _sample_check(copy, manifest)
                        checks.append(sample_check)
                        bars.finish("checks")
                    now_counts, drift = await _source_drift(source, manifest)
                    checks.append(drift)
                    tables = [
                        TableReport(
                            name=name,
                            backed_up=entry.rows,
                            restored=found.get(name),
                            source_now=now_counts.get(name),
                            sampled=len(entry.sample),
                            sample_matches=matches.get(name, 0),
                        )
                        for name, entry in sorted(manifest.tables.items())
                    ]
            finally:
                await db.drop_database(source, scratch)
    return VerifyReport(
        backup=manifest.dump_key,
        created_at=manifest.created_at,
        size=manifest.size,
        scratch_database=scratch,
        checks=checks,
        tables=tables,
        seconds=time.monotonic() - started,
    )


def _checksum_check(manifest: BackupManifest, digest: str) -> Check:
    if digest == manifest.sha256:
        return Check("checksum", CheckStatus.PASS, f"sha256 {digest[:16]}… as in the manifest")
    return Check(
        "checksum",
        CheckStatus.FAIL,
        f"the dump's sha256 is {digest[:16]}…, the manifest says {manifest.sha256[:16]}…",
    )


async def _restore_check(
    scratch_url: str, dump: Path, manifest: BackupManifest, bars: Progress
) -> Check:
    bars.start("restore", "pg_restore", len(manifest.tables))
    done: list[str] = []

    def on_table(name: str) -> None:
        done.append(name)
        bars.update("restore", len(done))

    started = time.monotonic()
    try:
        await restore_archive(scratch_url, dump, on_table=on_table)
    except DumpFailed as error:
        return Check("restore", CheckStatus.FAIL, error.message)
    finally:
        bars.finish("restore")
    seconds = time.monotonic() - started
    return Check(
        "restore", CheckStatus.PASS, f"pg_restore into a scratch database: {seconds:.1f} s"
    )


async def _count_checks(
    copy: asyncpg.Connection, manifest: BackupManifest
) -> tuple[dict[str, int], Check]:
    found = (await db.census(copy, sample_rows=0)).counts
    expected = manifest.counts
    wrong = {
        name: (expected.get(name), found.get(name))
        for name in sorted(set(expected) | set(found))
        if expected.get(name) != found.get(name)
    }
    if not wrong:
        total = sum(found.values())
        detail = f"{len(found)} tables, {total} rows, each as in the manifest"
        return found, Check("row counts", CheckStatus.PASS, detail)
    listed = ", ".join(
        f"{name}: {want} backed up, {got} restored" for name, (want, got) in wrong.items()
    )
    return found, Check("row counts", CheckStatus.FAIL, listed)


async def _orphan_check(copy: asyncpg.Connection) -> Check:
    orphans = await db.find_orphans(copy)
    bad = [orphan for orphan in orphans if orphan.rows]
    if not bad:
        return Check(
            "foreign keys",
            CheckStatus.PASS,
            f"{len(orphans)} foreign keys, no row referring to a missing row",
        )
    listed = ", ".join(f"{o.table}→{o.references} ({o.constraint}): {o.rows}" for o in bad)
    return Check("foreign keys", CheckStatus.FAIL, f"orphaned rows: {listed}")


async def _sample_check(
    copy: asyncpg.Connection, manifest: BackupManifest
) -> tuple[dict[str, int], Check]:
    """The sampled rows, fingerprinted in the restored copy, against the fingerprints taken
    from the source in the backup's own snapshot: equal unless the dump lost or changed data."""
    matches: dict[str, int] = {}
    differing: list[str] = []
    sampled = 0
    for name, entry in sorted(manifest.tables.items()):
        if not entry.sample:
            continue
        restored = await db.row_digests(copy, name, entry.primary_key, list(entry.sample))
        matches[name] = sum(restored.get(key) == digest for key, digest in entry.sample.items())
        sampled += len(entry.sample)
        if matches[name] != len(entry.sample):
            differing.append(f"{name} ({len(entry.sample) - matches[name]} of {len(entry.sample)})")
    if differing:
        return matches, Check("sample rows", CheckStatus.FAIL, "differ: " + ", ".join(differing))
    return matches, Check(
        "sample rows",
        CheckStatus.PASS,
        f"{sampled} sampled rows of {len(matches)} tables identical to the source's at backup time",
    )


async def _source_drift(
    source: asyncpg.Connection, manifest: BackupManifest
) -> tuple[dict[str, int], Check]:
    """How far the live source has moved since the backup: reported, never a failure."""
    now = (await db.census(source, sample_rows=0)).counts
    changed_tables = [name for name, rows in manifest.counts.items() if now.get(name) != rows]
    changed_rows = 0
    for name, entry in manifest.tables.items():
        if entry.sample and name in now:
            live = await db.row_digests(source, name, entry.primary_key, list(entry.sample))
            changed_rows += sum(live.get(key) != digest for key, digest in entry.sample.items())
    if not changed_tables and not changed_rows:
        return now, Check("source now", CheckStatus.INFO, "the source still matches the backup")
    detail = f"since the backup: {len(changed_tables)} tables changed count"
    detail += f", {changed_rows} sampled rows changed or gone"
    return now, Check("source now", CheckStatus.INFO, detail)


# --- restore ---------------------------------------------------------------------------


async def restore_backup(
    database_url: str,
    objects: ObjectStore,
    which: str | None,
    *,
    force: bool = False,
    progress: Progress | None = None,
    work_dir: Path | None = None,
) -> RestoreResult:
    """Restore a backup into the database (created when missing). A database that holds
    tables is refused (Conflict) unless ``force``, which drops its public schema first —
    only after the dump has been fetched and checked, so a bad backup changes nothing."""
    bars = progress or silent()
    started = time.monotonic()
    manifest = await _find(objects, which)
    await _ensure_database(database_url)
    async with db.connect(database_url) as target:
        existing = await db.table_names(target)
        if existing and not force:
            raise Conflict(
                f"database {db.database_name(database_url)!r} is not empty "
                f"({len(existing)} tables): restore into an empty one, or pass --force to "
                "replace what it holds"
            )
    async with temporary_folder(work_dir) as folder:
        dump, digest = await _download(objects, manifest, folder, bars)
        if digest != manifest.sha256:
            raise BackupInvalid(
                f"{manifest.dump_key}: the dump's sha256 is not the manifest's; not restored"
            )
        await list_archive(dump)  # a readable archive, before anything is dropped
        if existing:
            async with db.connect(database_url) as target:
                await target.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        bars.start("restore", "pg_restore", len(manifest.tables))
        done: list[str] = []

        def on_table(name: str) -> None:
            done.append(name)
            bars.update("restore", len(done))

        await restore_archive(database_url, dump, on_table=on_table)
        bars.finish("restore")
    async with db.connect(database_url) as target:
        counts = (await db.census(target, sample_rows=0)).counts
    return RestoreResult(
        backup=manifest.dump_key,
        database=db.database_name(database_url),
        counts=counts,
        matches_manifest=counts == manifest.counts,
        seconds=time.monotonic() - started,
    )


async def _ensure_database(database_url: str) -> None:
    name = db.database_name(database_url)
    if not name:
        raise BadUserInput("the database URL names no database")
    try:
        async with db.connect(database_url):
            return
    except asyncpg.InvalidCatalogNameError:
        pass
    async with db.connect(db.with_database(database_url, "postgres")) as maintenance:
        await db.create_database(maintenance, name)
