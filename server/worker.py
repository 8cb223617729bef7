"""The background jobs: the outbox relay and the event consumers, in one table.

``flix worker`` runs them (:func:`run_worker`), apart from the web workers, so a deployment
with many web processes still has one relay and one set of consumers per worker process;
``flix serve`` starts one worker next to its web workers. A test app runs the same table
in-process (``FLIX_INLINE_WORKER``, :func:`running_jobs`).

``flix worker`` also runs the nightly jobs (retention, archival, backup, backup verification:
lifecycle/jobs.py) at their configured times (``FLIX_<JOB>_AT``, lifecycle/schedule.py), once
a day across all workers; the in-process test app never does.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import structlog

from core.garbage_collection import tune_for_serving
from core.known_markers import KnownMarkers
from datasources.events import Event, Stream
from datasources.objects import ObjectStore
from datasources.personalization import trending
from datasources.stores import Stores, open_stores
from experiments import consumer
from lifecycle.jobs import NIGHTLY, JobContext, run_job
from lifecycle.schedule import Scheduler, parse_time_of_day
from server.settings import Settings

log = structlog.get_logger("flix.worker")

# Bounded: a client library that swallows a cancellation must not hang shutdown (the
# stores close next either way).
STOP_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Stores], Coroutine[Any, Any, None]]


async def _relay(stores: Stores) -> None:
    await stores.events.run_relay()


async def _trending(stores: Stores) -> None:
    counted = KnownMarkers()  # the views this worker saw counted today

    async def count_view(event: Event) -> None:
        await trending.count_viewing_event(stores.redis, event.payload, counted)

    await stores.events.consume(Stream.VIEWING, "trending", count_view)


async def _playback_metrics(stores: Stores) -> None:
    async def handle(event: Event) -> None:
        await consumer.on_playback_event(stores.engine, event.payload)

    await stores.events.consume(Stream.PLAYBACK, "experiment-metrics", handle)


async def _viewing_metrics(stores: Stores) -> None:
    async def handle(event: Event) -> None:
        await consumer.on_viewing_event(stores.engine, event.payload)

    await stores.events.consume(Stream.VIEWING, "experiment-metrics", handle)


# Each runs for ever; consumers share their durable's events with other workers' copies.
JOBS = (
    Job("outbox-relay", _relay),
    Job("trending", _trending),
    Job("playback-experiment-metrics", _playback_metrics),
    Job("viewing-experiment-metrics", _viewing_metrics),
)


def nightly_times(settings: Settings) -> dict[str, time | None]:
    """When each nightly job runs (settings ``FLIX_<JOB>_AT``), None for "off"."""
    configured = {
        "retention": settings.retention_at,
        "archive": settings.archive_at,
        "backup": settings.backup_at,
        "backup-verify": settings.backup_verify_at,
    }
    return {name: parse_time_of_day(configured[name]) for name in NIGHTLY}


def nightly_scheduler(settings: Settings, stores: Stores, objects: ObjectStore | None) -> Scheduler:
    """The nightly jobs at their times, each under its lock (lifecycle/jobs.py)."""

    async def run(name: str, now: datetime) -> None:
        context = JobContext(
            stores.engine, settings.database_url or "", stores.events, objects, now
        )
        await run_job(NIGHTLY[name], context)

    times = nightly_times(settings)
    if objects is None:  # the rest need the object store: say so once, not every night
        for name in ("archive", "backup", "backup-verify"):
            if times.pop(name, None) is not None:
                log.warning("nightly job off: no object store (FLIX_S3_BUCKET)", job=name)
    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    return Scheduler(times, run, stores.redis, worker_id)


@asynccontextmanager
async def running_jobs(stores: Stores) -> AsyncIterator[dict[str, asyncio.Task[None]]]:
    """Every job as a task for the block's duration, cancelled (bounded) on the way out."""
    tasks = {job.name: asyncio.create_task(job.run(stores), name=job.name) for job in JOBS}
    try:
        yield tasks
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.wait(tasks.values(), timeout=STOP_TIMEOUT_SECONDS)


class JobStopped(RuntimeError):
    """A job that should run for ever returned or raised: the worker exits to be restarted."""


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run every job until ``stop`` is set (never, by default); raises :class:`JobStopped`
    when one ends by itself, so that whoever runs the process sees it and can restart it."""
    stop = stop or asyncio.Event()
    async with open_stores(settings.store_config()) as stores:
        await stores.events.ensure_streams()
        scheduler = nightly_scheduler(settings, stores, stores.objects)
        tune_for_serving()
        async with running_jobs(stores) as tasks:
            # Beside the consumers (apart from JOBS: the in-process test app runs those only).
            tasks["nightly"] = asyncio.create_task(scheduler.run_forever(), name="nightly")
            log.info("worker started", jobs=list(tasks))
            stopping = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait(
                [stopping, *tasks.values()], return_when=asyncio.FIRST_COMPLETED
            )
            stopping.cancel()
            ended = [task for task in done if task is not stopping]
            if ended:
                task = ended[0]
                error = None if task.cancelled() else task.exception()
                log.error("worker job stopped", job=task.get_name(), error=repr(error))
                raise JobStopped(f"job {task.get_name()} stopped: {error!r}") from error
    log.info("worker stopped")
