"""``flix jobs``: the nightly jobs (lifecycle/jobs.py) by hand, with progress bars.

A job run here takes the same lock as the worker's: it is refused while it runs elsewhere.
Ctrl-C stops it between whole steps (each job keeps only what it finished: see
lifecycle/jobs.py); run it again to carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.ext.asyncio import create_async_engine

from core.errors import FlixError
from datasources.objects import S3ObjectStore
from datasources.stores import StoreConfig, connect_event_log
from lifecycle.jobs import NIGHTLY, JobBusy, JobContext, JobFailed, JobNeedsObjectStore, run_job
from server.settings import Settings
from server.worker import nightly_times

app = typer.Typer(help="Run the nightly jobs by hand.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class Bars:
    """core.progress.Progress as rich bars; a total of 0 means "unknown" (a spinner)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def start(self, key: str, description: str, total: float) -> None:
        self._tasks[key] = self._progress.add_task(description, total=total or None)

    def update(self, key: str, completed: float) -> None:
        self._progress.update(self._tasks[key], completed=completed)

    def finish(self, key: str) -> None:
        task = self._progress.tasks[self._tasks[key]]
        total = task.total or task.completed  # an unknown total ends at what was done
        self._progress.update(task.id, total=total, completed=total)


def bars() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@contextlib.asynccontextmanager
async def job_context(settings: Settings, stages: Bars | None = None) -> AsyncIterator[JobContext]:
    """The stores a job needs (PostgreSQL, the event log, the object store if configured)."""
    config: StoreConfig = settings.store_config()
    engine = create_async_engine(config.database_url)
    try:
        events = await connect_event_log(config, engine)
        try:
            await events.ensure_streams()  # as the worker does: a fresh log has none yet
            s3 = settings.s3_config()
            objects = None if s3 is None else S3ObjectStore(s3)
            context = JobContext(engine, config.database_url, events, objects, datetime.now(UTC))
            yield context if stages is None else _with(context, stages)
        finally:
            await events.close()
    finally:
        await engine.dispose()


def _with(context: JobContext, stages: Bars) -> JobContext:
    return JobContext(
        context.engine, context.database_url, context.events, context.objects, context.now, stages
    )


def run_command(settings: Settings, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's async work with the house's answers to what can go wrong."""
    try:
        settings.store_config()
        settings.s3_config()
    except RuntimeError as error:  # a store not configured
        console.print(f"[red]{escape(str(error))}")
        raise typer.Exit(2) from None
    try:
        return asyncio.run(work())
    except KeyboardInterrupt:
        console.print("Interrupted: what finished is kept, nothing is half-written. Run it again.")
        raise typer.Exit(130) from None
    except (JobBusy, JobFailed, JobNeedsObjectStore) as error:
        console.print(f"[red]{escape(str(error))}")
        raise typer.Exit(2 if isinstance(error, JobNeedsObjectStore) else 1) from None
    except FlixError as error:
        console.print(f"[red]{escape(error.message)}")
        raise typer.Exit(1) from None


def _job_name(name: str) -> str:
    if name not in NIGHTLY:
        raise typer.BadParameter(f"choose one of {', '.join(NIGHTLY)}")
    return name


@app.command("run")
def run(
    name: str = typer.Argument(..., help="retention, archive, backup or backup-verify"),
) -> None:
    """Run one nightly job now (refused while it runs elsewhere)."""
    job = NIGHTLY[_job_name(name)]
    settings = Settings()

    async def work() -> str:
        with bars() as progress:
            async with job_context(settings, Bars(progress)) as context:
                return await run_job(job, context)

    console.print(f"{job.name}: {run_command(settings, work)}")


@app.command("list")
def list_jobs() -> None:
    """The nightly jobs and when `flix worker` runs them (UTC)."""
    times = nightly_times(Settings())
    table = Table(
        "job", "runs at (UTC)", "what it does", title="Nightly jobs", title_justify="left"
    )
    for job in NIGHTLY.values():
        at = times.get(job.name)
        table.add_row(job.name, at.strftime("%H:%M") if at else "off", job.description)
    Console().print(table)
