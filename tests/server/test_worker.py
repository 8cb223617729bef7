"""`flix worker` as a process of its own: it relays the outbox, its consumers count the view,
and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from core.viewing_records import MOVIE, ProgressUpdate
from datasources.events import message_id
from datasources.personalization import trending
from datasources.stores import StoreConfig, connect_event_log
from datasources.tables import event_outbox
from server.settings import Settings
from tests.helpers.aio import blocking
from tests.helpers.profiles import insert_profile
from tests.helpers.stores import KAFKA_BOOTSTRAP, NATS_URL
from tests.helpers.viewing_stores import CLI_ENV
from viewing.recorder import progress_event

FLIX = [sys.executable, "-c", "from server.cli import main; main()"]
VIDEO_ID = 42


@pytest.fixture
def prefix(clean_database: str) -> Iterator[str]:
    """Streams of this test's own on the shared broker, deleted afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}_"
    yield name
    broker = Settings().event_log
    config = StoreConfig(
        clean_database,
        "",
        NATS_URL,
        event_log=broker,
        kafka_bootstrap=KAFKA_BOOTSTRAP,
        events_prefix=name,
    )

    async def delete() -> None:
        engine = create_async_engine(clean_database)
        events = await connect_event_log(config, engine)
        try:
            await events.delete_streams()
        finally:
            await events.close()
            await engine.dispose()

    blocking(delete())


def _outbox_row(prefix: str, profile_id: uuid.UUID) -> dict[str, Any]:
    """A progress heartbeat the broker did not take, as publishing leaves it in the outbox."""
    update = ProgressUpdate(
        profile_id=profile_id,
        video_id=VIDEO_ID,
        episode_id=MOVIE,
        position_seconds=600.0,
        duration_seconds=1200.0,
        client_timestamp=datetime.now(UTC),
        device_id="tv",
    )
    payload = progress_event(update, "US")
    subject = f"{prefix.lower()}viewing.progress"
    return {"subject": subject, "message_id": message_id(*payload.values()), "payload": payload}


async def _put_in_outbox(database_url: str, prefix: str) -> None:
    engine = create_async_engine(database_url)
    try:
        # A real profile: the relay seals its fields under its key, and drops those of a
        # profile that does not exist (datasources/events/sealing.py).
        row = _outbox_row(prefix, await insert_profile(engine))
        async with engine.begin() as connection:
            await connection.execute(insert(event_outbox).values(**row))
    finally:
        await engine.dispose()


async def _outbox_size(database_url: str) -> int:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM event_outbox"))
    finally:
        await connection.close()


async def _trending(redis_url: str) -> list[int]:
    redis = Redis.from_url(redis_url)
    try:
        return await trending.top(redis, "US", 10)
    finally:
        await redis.aclose()


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"timed out; the worker's log:\n{log.read_text()}"
        time.sleep(0.25)


def _environment(**variables: str) -> dict[str, str]:
    return {**os.environ, **CLI_ENV, **variables}


def test_the_worker_relays_the_outbox_and_counts_the_view(
    clean_database: str, clean_redis: str, prefix: str, tmp_path: Path
) -> None:
    blocking(_put_in_outbox(clean_database, prefix))
    env = _environment(
        FLIX_DATABASE_URL=clean_database,
        FLIX_REDIS_URL=clean_redis,
        FLIX_EVENT_LOG=Settings().event_log,
        FLIX_NATS_URL=NATS_URL,
        FLIX_KAFKA_BOOTSTRAP=KAFKA_BOOTSTRAP,
        FLIX_EVENTS_PREFIX=prefix,
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([*FLIX, "worker"], env=env, stdout=out, stderr=out)
    try:
        _wait_for(lambda: blocking(_outbox_size(clean_database)) == 0, worker, log)
        _wait_for(lambda: blocking(_trending(clean_redis)) == [VIDEO_ID], worker, log)
        worker.send_signal(signal.SIGTERM)  # what `flix serve` and orchestrators send
        assert worker.wait(30) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert '"worker stopped"' in log.read_text()


def test_the_worker_without_stores_says_what_to_set(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLIX_")}
    result = subprocess.run(
        [*FLIX, "worker"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "FLIX_DATABASE_URL" in result.stderr
