"""``flix archive``: cold events on S3 (lifecycle/archiver.py) — archive now, check, load back.

Ctrl-C is harmless everywhere: the archive keeps whole verified parts (and trims the log only
behind them), backfill commits whole parts, verify only reads.
"""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.markup import escape

from datasources.events import Stream
from lifecycle.archive_format import ArchiveCorrupt, archived_days, read_manifest, verify
from lifecycle.archiver import archived_streams
from lifecycle.backfill import backfill as load_archived
from lifecycle.backfill import manifests_between
from lifecycle.jobs import NIGHTLY, run_job
from server.cli.jobs import Bars, bars, console, job_context, run_command
from server.settings import Settings

app = typer.Typer(help="Archives of cold events on the object store.", no_args_is_help=True)

_DATE = ["%Y-%m-%d"]


def _archived(stream: Stream) -> Stream:
    if stream not in archived_streams():
        names = ", ".join(s.value for s in archived_streams())
        console.print(f"[red]{stream.value} is not archived; archived streams: {names}")
        raise typer.Exit(2)
    return stream


@app.command("run")
def run() -> None:
    """Archive now what is past its hot window (the nightly `archive` job, under its lock)."""
    settings = Settings()

    async def work() -> str:
        with bars() as progress:
            async with job_context(settings, Bars(progress)) as context:
                return await run_job(NIGHTLY["archive"], context)

    console.print(run_command(settings, work))


@app.command("backfill")
def backfill(
    stream: Stream = typer.Option(Stream.PLAYBACK, help="The archived stream to load."),
    from_: datetime = typer.Option(..., "--from", formats=_DATE, help="First date (UTC)."),
    to: datetime = typer.Option(..., "--to", formats=_DATE, help="Last date (UTC), included."),
) -> None:
    """Load archived events of those dates into `archived_events`; a second run adds nothing."""
    settings = Settings()
    _archived(stream)
    first, last = from_.date(), to.date()
    if last < first:
        console.print(f"[red]--to ({last}) is before --from ({first})")
        raise typer.Exit(2)

    async def work() -> str:
        async with job_context(settings) as context:
            objects = context.require_objects()
            manifests = await manifests_between(objects, stream, first, last)
            total = sum(manifest.rows for manifest in manifests)
            with bars() as progress:
                task = progress.add_task(f"loading {stream.value} {first} to {last}", total=total)
                report = await load_archived(
                    context.engine,
                    objects,
                    manifests,
                    progress=lambda rows: progress.advance(task, rows),
                )
        return (
            f"{report.added} events added, {report.read - report.added} already there "
            f"({report.read} read from {report.days} archived days)"
        )

    console.print(run_command(settings, work))


@app.command("verify")
def verify_archives(
    stream: list[Stream] = typer.Option([], help="Only these streams [default: all archived]."),
) -> None:
    """Re-read every archived part and check it against its manifest (size, SHA-256, rows)."""
    settings = Settings()
    streams = [_archived(s) for s in stream] or archived_streams()

    async def work() -> list[str]:
        problems: list[str] = []
        async with job_context(settings) as context:
            objects = context.require_objects()
            with bars() as progress:
                for each in streams:
                    days: list[date] = await archived_days(objects, each)
                    task = progress.add_task(f"verifying {each.value}", total=len(days))
                    for day in days:
                        try:
                            manifest = await read_manifest(objects, each, day)
                            if manifest is not None:
                                await verify(objects, manifest)
                        except ArchiveCorrupt as error:
                            problems.append(f"{each.value} {day}: {error}")
                        progress.advance(task)
        return problems

    problems = run_command(settings, work)
    for problem in problems:
        console.print(f"[red]{escape(problem)}")
    if problems:
        raise typer.Exit(1)
    console.print("every archived day verifies")
