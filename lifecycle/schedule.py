"""When the nightly jobs run: each at its time of day (UTC), once a day across all workers.

Each job's daily *slot* (today at its time) is claimed in Redis (``SET NX``) by the first
worker to reach it; the others see the claim and skip it, whenever they get there. A worker
that starts after a slot nobody claimed (every worker was down at 02:00) runs it then, up to
``CATCH_UP`` late: a missed night is caught up the same morning. A claimed run that fails is
not retried until the next slot: every job is idempotent, and the next run takes up what
this one left.

The clock is the caller's (:meth:`Scheduler.tick` takes ``now``): tests run the scheduler at
the times they choose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, time, timedelta

import structlog
from redis.asyncio import Redis

log = structlog.get_logger("flix.schedule")

CLAIM_TTL = timedelta(days=2)  # a claim outlives its day, so a late worker still sees it
TICK_SECONDS = 30.0
# How late a slot may still be run: a worker back at 03:00 runs the 02:00 job it missed; one
# started in the afternoon leaves it to the next night (no backup at every first start).
CATCH_UP = timedelta(hours=6)


def parse_time_of_day(value: str) -> time | None:
    """ "HH:MM" (UTC) as a time; "" (or "off") turns the job off."""
    if value.strip().lower() in ("", "off"):
        return None
    hours, _, minutes = value.strip().partition(":")
    return time(int(hours), int(minutes or 0), tzinfo=UTC)


def slot_for(at: time, now: datetime) -> datetime | None:
    """Today's slot for a job at ``at``, from its time until ``CATCH_UP`` after; else None."""
    slot = datetime.combine(now.astimezone(UTC).date(), at)
    return slot if slot <= now <= slot + CATCH_UP else None


class Scheduler:
    def __init__(
        self,
        times: Mapping[str, time | None],
        # Called with the job's name and the tick's time (the job's "now").
        run: Callable[[str, datetime], Awaitable[object]],
        redis: Redis,
        worker_id: str,
    ) -> None:
        self._times = {name: at for name, at in times.items() if at is not None}
        self._run = run
        self._redis = redis
        self._worker_id = worker_id
        self._seen: dict[str, datetime] = {}  # the last slot of each job this worker handled

    async def _claim(self, job: str, slot: datetime) -> bool:
        key = f"jobs:slot:{job}:{slot.isoformat()}"
        ttl = int(CLAIM_TTL.total_seconds())
        return bool(await self._redis.set(key, self._worker_id, nx=True, ex=ttl))

    async def tick(self, now: datetime) -> list[str]:
        """Run (one after another) the jobs whose slot has come and nobody has claimed;
        returns the ones this worker ran."""
        ran = []
        for job, at in sorted(self._times.items(), key=lambda item: item[1]):
            slot = slot_for(at, now)
            if slot is None or self._seen.get(job) == slot:
                continue
            claimed = await self._claim(job, slot)  # Redis away: raises, tried next tick
            self._seen[job] = slot
            if not claimed:
                log.info("job slot taken by another worker", job=job, slot=slot.isoformat())
                continue
            try:
                await self._run(job, now)
            except Exception as error:  # logged and counted by the job's runner; go on
                log.error("scheduled job failed", job=job, error=repr(error))
            ran.append(job)
        return ran

    async def run_forever(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        """A worker's job: tick every ``TICK_SECONDS``, for ever."""
        log.info(
            "scheduler started", times={job: at.isoformat() for job, at in self._times.items()}
        )
        while True:
            try:
                await self.tick(clock())
            except Exception as error:  # Redis away: try again at the next tick
                log.warning("scheduler tick failed", error=repr(error))
            await asyncio.sleep(TICK_SECONDS)
