"""The nightly jobs: retention, archival, backup and backup verification, in one table.

`flix worker` runs them at their configured times (lifecycle/schedule.py) and
`flix jobs run NAME` by hand; both go through :func:`run_job`, which

- holds a PostgreSQL advisory lock for the job while it runs: one run of a job at a time
  across every worker and shell (a second one is refused with :class:`JobBusy`; the lock goes
  with the connection should the process die);
- counts it in ``flix_job_runs_total{job,outcome}`` and ``flix_job_duration_seconds{job}``
  and logs its start, end and summary.

Every job is safe to stop at any point (Ctrl-C, SIGTERM) and to run again: each commits or
publishes whole steps only (retention's batches, the archive's verified parts, a backup
whose manifest is written last).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.progress import NoProgress, Progress
from datasources.events import EventLog
from datasources.objects import ObjectStore
from lifecycle import backups
from lifecycle.archiver import archive_stream, archived_streams, prune_cold
from lifecycle.retention import enforce_retention

log = structlog.get_logger("flix.jobs")

JOB_RUNS = Counter("flix_job_runs", "Nightly job runs, by how they ended.", ["job", "outcome"])
JOB_DURATION = Histogram(
    "flix_job_duration_seconds",
    "How long nightly jobs run.",
    ["job"],
    buckets=(1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400),
)
JOB_LAST_SUCCESS = Gauge(
    "flix_job_last_success_timestamp_seconds",
    "When each nightly job last succeeded (Unix time).",
    ["job"],
    multiprocess_mode="max",
)


class JobBusy(RuntimeError):
    """The job is running elsewhere (another worker, another shell)."""


class JobFailed(RuntimeError):
    """The job ran and found something wrong (a backup that does not verify)."""


class JobNeedsObjectStore(RuntimeError):
    """The job writes to the object store, and none is configured (FLIX_S3_BUCKET)."""


@dataclass(frozen=True)
class JobContext:
    engine: AsyncEngine
    database_url: str
    events: EventLog
    objects: ObjectStore | None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    progress: Progress = field(default_factory=NoProgress)

    def require_objects(self) -> ObjectStore:
        if self.objects is None:
            raise JobNeedsObjectStore("no object store configured (set FLIX_S3_BUCKET and keys)")
        return self.objects


@dataclass(frozen=True)
class NightlyJob:
    name: str
    description: str
    # Returns a one-line summary, for the log and the command line.
    run: Callable[[JobContext], Awaitable[str]]


async def _retention(ctx: JobContext) -> str:
    def deleted(rule: str, count: int) -> None:
        ctx.progress.start(rule, f"retention: {rule} ({count} deleted)", 1)
        ctx.progress.finish(rule)

    counts = await enforce_retention(ctx.engine, now=ctx.now, progress=deleted)
    summary = ", ".join(f"{rule} {count}" for rule, count in counts.items())
    if ctx.objects is not None:  # cold archives past their cold window
        for stream in archived_streams():
            pruned = await prune_cold(ctx.objects, stream, now=ctx.now)
            summary += f", {stream.value.lower()} archive days pruned {len(pruned)}"
    return f"deleted: {summary}"


async def _archive(ctx: JobContext) -> str:
    objects = ctx.require_objects()
    done = []
    for stream in archived_streams():
        key = f"archive-{stream.value}"
        ctx.progress.start(key, f"archiving {stream.value}", 0)
        archived = 0

        def step(_stream: object, day: object, events: int, key: str = key) -> None:
            nonlocal archived
            archived += events
            ctx.progress.update(key, archived)

        report = await archive_stream(ctx.events, objects, stream, now=ctx.now, progress=step)
        ctx.progress.finish(key)
        done.append(f"{stream.value} {report.events} events over {len(report.days)} days")
    return "archived " + "; ".join(done)


async def _backup(ctx: JobContext) -> str:
    result = await backups.run_backup(
        ctx.database_url, ctx.require_objects(), now=lambda: ctx.now, progress=ctx.progress
    )
    dump = result.manifest
    return f"backed up {dump.dump_key} ({dump.size} bytes), pruned {len(result.pruned)}"


async def _verify_backup(ctx: JobContext) -> str:
    report = await backups.verify_latest_backup(
        ctx.database_url, ctx.require_objects(), progress=ctx.progress
    )
    if not report.passed:
        failed = [check.name for check in report.checks if check.status == "fail"]
        raise JobFailed(f"{report.backup} does not verify: {', '.join(failed)}")
    return f"{report.backup} restores and passes {len(report.checks)} checks"


NIGHTLY = {
    job.name: job
    for job in (
        NightlyJob("retention", "delete what core/retention.py says is past keeping", _retention),
        NightlyJob("archive", "move cold PLAYBACK and AUDIT events to S3 as Parquet", _archive),
        NightlyJob("backup", "pg_dump to S3, keeping the last 7 daily", _backup),
        NightlyJob("backup-verify", "restore the newest backup and check it", _verify_backup),
    )
}


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for the job's advisory lock."""
    digest = hashlib.sha256(f"flix-job:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def run_job(job: NightlyJob, ctx: JobContext) -> str:
    """Run ``job`` under its lock, counted and logged; JobBusy if it runs elsewhere."""
    key = _lock_key(job.name)
    async with ctx.engine.connect() as connection:
        if not await connection.scalar(select(func.pg_try_advisory_lock(key))):
            JOB_RUNS.labels(job.name, "busy").inc()
            log.info("job already running elsewhere", job=job.name)
            raise JobBusy(f"{job.name} is running elsewhere")
        await connection.commit()  # the lock is the session's, not the transaction's
        started = time.monotonic()
        outcome = "failed"
        log.info("job started", job=job.name, now=ctx.now.isoformat())
        try:
            summary = await job.run(ctx)
            outcome = "ok"
            JOB_LAST_SUCCESS.labels(job.name).set(time.time())
            log.info("job finished", job=job.name, summary=summary)
            return summary
        except BaseException as error:
            if not isinstance(error, Exception):
                outcome = "interrupted"  # Ctrl-C, a cancelled task: whole steps only were kept
            log.error("job " + outcome, job=job.name, error=repr(error))
            raise
        finally:
            JOB_RUNS.labels(job.name, outcome).inc()
            JOB_DURATION.labels(job.name).observe(time.monotonic() - started)
            try:
                await connection.scalar(select(func.pg_advisory_unlock(key)))
                await connection.commit()
            except BaseException:
                # Never hand a connection that may still hold the lock back to the pool.
                await connection.invalidate()
                raise
