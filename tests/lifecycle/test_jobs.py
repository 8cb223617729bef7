"""The nightly jobs' lock, their schedule across workers, their metrics, and `flix jobs`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from datasources.events import EventLog
from datasources.stores import StoreConfig, connect_event_log
from datasources.tables import viewing_progress
from lifecycle.jobs import NIGHTLY, JobBusy, JobContext, NightlyJob, run_job
from lifecycle.schedule import CATCH_UP, Scheduler, parse_time_of_day
from server.cli import app as cli
from tests.helpers.catalog import seed_catalog
from tests.helpers.profiles import insert_profile
from tests.helpers.stores import KAFKA_BOOTSTRAP, NATS_URL

NIGHT = datetime(2031, 6, 15, tzinfo=UTC)


@pytest.fixture
async def events(engine: AsyncEngine) -> AsyncIterator[EventLog]:
    config = StoreConfig(
        "", "", NATS_URL, kafka_bootstrap=KAFKA_BOOTSTRAP, events_prefix=f"t{uuid.uuid4().hex[:8]}_"
    )
    log = await connect_event_log(config, engine)
    yield log
    await log.close()


@pytest.fixture
async def redis(clean_redis: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(clean_redis)
    yield client
    await client.aclose()


def _runs(job: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("flix_job_runs_total", {"job": job, "outcome": outcome}) or 0


async def test_a_job_runs_once_at_a_time_across_runners(
    engine: AsyncEngine, events: EventLog
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(context: JobContext) -> str:
        entered.set()
        await release.wait()
        return "done"

    job = NightlyJob(f"slow-{uuid.uuid4().hex[:6]}", "waits to be released", slow)
    context = JobContext(engine, "", events, None)
    first = asyncio.create_task(run_job(job, context))
    await entered.wait()
    with pytest.raises(JobBusy):  # a second runner (another worker's, a shell's) is refused
        await run_job(job, context)
    release.set()
    assert await first == "done"
    assert await run_job(job, context) == "done"  # the lock went with the run
    assert (_runs(job.name, "ok"), _runs(job.name, "busy")) == (2, 1)


async def test_an_interrupted_job_releases_its_lock(engine: AsyncEngine, events: EventLog) -> None:
    entered = asyncio.Event()

    async def forever(context: JobContext) -> str:
        entered.set()
        await asyncio.Event().wait()
        return "never"

    job = NightlyJob(f"forever-{uuid.uuid4().hex[:6]}", "runs until stopped", forever)
    context = JobContext(engine, "", events, None)
    task = asyncio.create_task(run_job(job, context))
    await entered.wait()
    task.cancel()  # what Ctrl-C or SIGTERM does to it
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _runs(job.name, "interrupted") == 1

    async def quick(context: JobContext) -> str:
        return "ran"

    # The lock went with the interrupted run: the job runs again at once.
    assert await run_job(NightlyJob(job.name, "the same job", quick), context) == "ran"


async def _old_progress(engine: AsyncEngine, database_url: str) -> None:
    await seed_catalog(database_url)
    profile = await insert_profile(engine)
    async with engine.begin() as connection:
        await connection.execute(
            insert(viewing_progress).values(
                profile_id=profile,
                video_id=1,
                episode_id=0,
                position_seconds=99,
                duration_seconds=100,
                client_timestamp=NIGHT - timedelta(days=200),
                device_id="tv",
                updated_at=NIGHT - timedelta(days=200),
            )
        )


async def _progress_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(viewing_progress)) or 0)


async def test_the_scheduler_runs_a_job_at_its_time_once_across_workers(
    engine: AsyncEngine, events: EventLog, redis: Redis, clean_database: str
) -> None:
    await _old_progress(engine, clean_database)
    ran: list[tuple[str, str, datetime]] = []

    def worker(name: str) -> Scheduler:
        async def run(job: str, now: datetime) -> None:
            ran.append((name, job, now))
            await run_job(NIGHTLY[job], JobContext(engine, clean_database, events, None, now))

        return Scheduler({"retention": parse_time_of_day("02:00")}, run, redis, name)

    one, two = worker("one"), worker("two")
    assert await one.tick(NIGHT + timedelta(hours=1, minutes=59)) == []  # not yet
    assert await _progress_rows(engine) == 1

    at = NIGHT + timedelta(hours=2, seconds=5)
    results = await asyncio.gather(one.tick(at), two.tick(at))  # two workers, the same moment
    assert sorted(map(len, results)) == [0, 1]
    assert [job for _, job, _ in ran] == ["retention"] and ran[0][2] == at
    assert await _progress_rows(engine) == 0  # the job ran with the scheduler's clock

    assert await one.tick(at + timedelta(hours=3)) == []  # later that night: done already
    assert await two.tick(at + timedelta(hours=3)) == []
    next_night = at + timedelta(days=1)
    assert len(await one.tick(next_night)) + len(await two.tick(next_night)) == 1
    # A worker first up long after a night's slot leaves it to the next night.
    late = worker("late")
    assert (
        await late.tick(NIGHT + timedelta(days=2, hours=2) + CATCH_UP + timedelta(minutes=1)) == []
    )


def test_times_of_day_parse() -> None:
    assert parse_time_of_day("02:30") == time(2, 30, tzinfo=UTC)
    assert parse_time_of_day("off") is None


def test_jobs_run_by_hand(clean_database: str, clean_redis: str) -> None:
    env = {
        "FLIX_DATABASE_URL": clean_database,
        "FLIX_REDIS_URL": clean_redis,
        "FLIX_NATS_URL": NATS_URL,
        "FLIX_KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP,
    }
    result = CliRunner().invoke(cli, ["jobs", "run", "retention"], env=env)
    assert result.exit_code == 0, result.output
    assert "retention: deleted: completed-progress 0" in result.output
    unknown = CliRunner().invoke(cli, ["jobs", "run", "defrag"], env=env)
    assert unknown.exit_code == 2
    # The archive needs the object store: a clear refusal, not a crash.
    archive = CliRunner().invoke(cli, ["jobs", "run", "archive"], env=env)
    assert archive.exit_code == 2 and "no object store configured" in archive.output
