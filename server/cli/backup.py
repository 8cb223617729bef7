"""``flix backup`` (and ``verify``, ``list``) and ``flix restore``: PostgreSQL backups on the
object store, proven by restoring them (lifecycle/backups.py).

Ctrl-C at any point leaves nothing behind: no partial object (the dump is uploaded only when
complete, and an interrupted upload is aborted), no temporary file, no scratch database.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Annotated, TypeVar

import typer
from rich import filesize
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from core.errors import FlixError
from datasources.objects import ObjectStore
from datasources.stores import open_object_store
from lifecycle.backups import (
    BACKUP_PREFIX,
    CheckStatus,
    VerifyReport,
    list_backups,
    restore_backup,
    run_backup,
    verify_backup,
)
from lifecycle.cassandra_backups import (
    keyspace_holds_rows,
    restore_cassandra_backup,
    run_cassandra_backup,
    verify_latest_cassandra_backup,
)
from server.cli.migrate import require_database_url
from server.settings import Settings

T = TypeVar("T")

app = typer.Typer(
    help="Back PostgreSQL up to the object store (S3), list and verify the backups.",
    invoke_without_command=True,
)
_console = Console()
_errors = Console(stderr=True)
_BYTE_STAGES = frozenset({"upload", "download"})
_UNITS = {"checks": "checks", "export": "tables", "import": "tables"}


class _Bars:
    """core.progress.Progress drawn as one rich bar per stage."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}
        self._units: dict[str, str] = {}

    def start(self, key: str, description: str, total: float) -> None:
        self._units[key] = "bytes" if key in _BYTE_STAGES else _UNITS.get(key, "tables")
        self._tasks[key] = self._progress.add_task(
            escape(description), total=total or None, amount=self._amount(key, 0, total)
        )

    def update(self, key: str, completed: float) -> None:
        total = self._progress.tasks[self._tasks[key]].total or 0
        amount = self._amount(key, completed, total)
        self._progress.update(self._tasks[key], completed=completed, amount=amount)

    def finish(self, key: str) -> None:
        task = self._tasks[key]
        total = self._progress.tasks[task].total or 0
        amount = self._amount(key, total, total)
        self._progress.update(task, completed=total, total=total or 1, amount=amount)

    def _amount(self, key: str, done: float, total: float) -> str:
        if self._units[key] == "bytes":
            return f"{filesize.decimal(int(done))}/{filesize.decimal(int(total))}"
        return f"{int(done)}/{int(total)} {self._units[key]}"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[amount]}"),
        TimeElapsedColumn(),
        console=_errors,
    )


def _objects(settings: Settings) -> ObjectStore:
    try:
        objects = open_object_store(settings.s3_config())
    except RuntimeError as error:
        _errors.print(f"[red]{escape(str(error))}")
        raise typer.Exit(2) from None
    if objects is None:
        _errors.print(
            "[red]no object store: set FLIX_S3_BUCKET, FLIX_S3_ENDPOINT and the FLIX_S3_* "
            "credentials (`flix serve` sets them for its embedded S3 server)"
        )
        raise typer.Exit(2)
    return objects


def _run(work: Awaitable[T]) -> T:
    """Run the work; a FlixError is a red line and exit 1, Ctrl-C exit 130 after cleanup."""

    async def main() -> T:
        return await work

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        # asyncio.run cancelled the work and waited for its cleanup before raising this.
        _errors.print("[yellow]interrupted: nothing was left half-done")
        raise typer.Exit(130) from None
    except FlixError as error:
        _errors.print(f"[red]{escape(error.message)}")
        raise typer.Exit(1) from None


@app.callback()
def backup(
    context: typer.Context,
    keep_days: Annotated[
        int, typer.Option(help="Keep the newest backup of each of this many latest days.")
    ] = 7,
) -> None:
    """Dump PostgreSQL (pg_dump custom format) to the object store, then prune old backups."""
    if context.invoked_subcommand is not None:
        return
    settings = Settings()
    database_url = require_database_url(settings)
    objects = _objects(settings)
    # One time stamp for both stores: `flix restore <stamp>` finds the pair.
    at = datetime.now(UTC)
    with _progress() as progress:
        result = _run(
            run_backup(
                database_url, objects, now=lambda: at, keep_days=keep_days, progress=_Bars(progress)
            )
        )
        viewing = None
        if settings.viewing_store == "cassandra":
            viewing = _run(
                run_cassandra_backup(
                    settings.cassandra_host_list,
                    settings.cassandra_keyspace,
                    objects,
                    now=lambda: at,
                    keep_days=keep_days,
                    progress=_Bars(progress),
                )
            )
    manifest = result.manifest
    rows = sum(manifest.counts.values())
    _console.print(
        f"[green]backed up[/] {manifest.database} to s3://{objects.bucket}/{manifest.dump_key}: "
        f"{manifest.size:,} bytes, {len(manifest.tables)} tables, {rows:,} rows, "
        f"sha256 {manifest.sha256[:16]}… in {result.seconds:.1f} s"
    )
    for key in result.pruned:
        _console.print(f"pruned {key}")
    if viewing is not None:
        rows = sum(viewing.counts.values())
        _console.print(
            f"[green]exported[/] Cassandra keyspace {viewing.keyspace} to "
            f"s3://{objects.bucket}/{viewing.manifest_key}: {len(viewing.tables)} tables, "
            f"{rows:,} rows"
        )


@app.command("list")
def list_command() -> None:
    """The complete backups on the object store, newest last."""
    objects = _objects(Settings())
    backups = _run(list_backups(objects))
    # The stamp is what `flix restore` and `flix backup verify --backup` take.
    title = f"s3://{objects.bucket}/{BACKUP_PREFIX}/"
    table = Table(title=title)
    table.add_column("stamp", no_wrap=True)
    for heading in ("created (UTC)", "database", "bytes", "tables", "rows"):
        table.add_column(heading)
    for manifest in backups:
        table.add_row(
            PurePosixPath(manifest.dump_key).stem,
            manifest.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            manifest.database,
            f"{manifest.size:,}",
            str(len(manifest.tables)),
            f"{sum(manifest.counts.values()):,}",
        )
    _console.print(table)


@app.command()
def verify(
    backup: Annotated[
        str, typer.Option(help="The backup: its key or UTC time stamp, or latest.")
    ] = "latest",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Restore a backup into a scratch database and check it against the source: checksum,
    restore, row counts, foreign keys, sampled rows. Exits 1 when a check fails."""
    settings = Settings()
    database_url = require_database_url(settings)
    objects = _objects(settings)
    with _progress() as progress:
        reports = [_run(verify_backup(database_url, objects, backup, progress=_Bars(progress)))]
        if settings.viewing_store == "cassandra":
            hosts = settings.cassandra_host_list
            reports.append(
                _run(verify_latest_cassandra_backup(hosts, objects, progress=_Bars(progress)))
            )
    if as_json:
        body = [report.to_dict() for report in reports]
        print(json.dumps(body[0] if len(body) == 1 else body, indent=2, default=str))
    else:
        for report in reports:
            _print_report(report)
    if not all(report.passed for report in reports):
        raise typer.Exit(1)


_STATUS = {CheckStatus.PASS: "[green]pass", CheckStatus.FAIL: "[red]FAIL", CheckStatus.INFO: "info"}


def _print_report(report: VerifyReport) -> None:
    _console.print(
        f"backup {report.backup} of {report.created_at:%Y-%m-%d %H:%M:%S} UTC "
        f"({report.size:,} bytes), restored into {report.scratch_database} (dropped since)"
    )
    checks = Table("check", "result", "detail", title="checks")
    for check in report.checks:
        checks.add_row(check.name, _STATUS[check.status], escape(check.detail))
    _console.print(checks)
    if report.tables:
        tables = Table("table", "backed up", "restored", "source now", "sample", title="tables")
        for row in report.tables:
            same = row.restored == row.backed_up
            tables.add_row(
                row.name,
                f"{row.backed_up:,}",
                f"{row.restored:,}" if row.restored is not None else "-",
                f"{row.source_now:,}" if row.source_now is not None else "gone",
                f"{row.sample_matches}/{row.sampled}" if row.sampled else "-",
                style=None if same else "red",
            )
        _console.print(tables)
    verdict = "[green]PASSED" if report.passed else "[red]FAILED"
    _console.print(f"{verdict}[/] in {report.seconds:.1f} s")


def restore(
    backup: Annotated[
        str, typer.Argument(help="The backup: its key or UTC time stamp, or latest.")
    ],
    force: Annotated[
        bool, typer.Option(help="Replace what the database holds (its public schema).")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(help="Restore into this database instead of FLIX_DATABASE_URL's."),
    ] = None,
) -> None:
    """Restore a PostgreSQL backup from the object store into the database (created when
    missing), and, where Cassandra is the viewing store, its viewing keyspace from the
    export of the same time. A database that holds tables is refused unless --force."""
    settings = Settings()
    target = database_url or require_database_url(settings)
    objects = _objects(settings)
    # The viewing keyspace goes with the app's own database, not with one named here.
    viewing = settings.viewing_store == "cassandra" and database_url is None
    hosts, keyspace = settings.cassandra_host_list, settings.cassandra_keyspace
    if viewing and not force and _run(keyspace_holds_rows(hosts, keyspace)):
        # Refused before anything is restored: PostgreSQL and Cassandra go back together.
        _errors.print(f"[red]keyspace {keyspace!r} holds rows: pass --force to replace them")
        raise typer.Exit(1)
    with _progress() as progress:
        result = _run(
            restore_backup(target, objects, backup, force=force, progress=_Bars(progress))
        )
    if viewing:
        # The export taken with that PostgreSQL backup (`flix backup` gives both one stamp).
        stamp = PurePosixPath(result.backup).stem
        counts = _run(restore_cassandra_backup(hosts, keyspace, objects, stamp, force=force))
        _console.print(
            f"[green]restored[/] Cassandra keyspace {keyspace}: {sum(counts.values()):,} rows"
        )
    rows = sum(result.counts.values())
    same = "as in the backup's manifest" if result.matches_manifest else "[red]NOT as backed up[/]"
    _console.print(
        f"[green]restored[/] {result.backup} into {result.database}: {len(result.counts)} "
        f"tables, {rows:,} rows, {same} in {result.seconds:.1f} s"
    )
    if not result.matches_manifest:
        raise typer.Exit(1)
