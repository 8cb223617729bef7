"""Measuring: bounded concurrent batches, sides alternated batch by batch, latency
percentiles, CPU per request, and ratios against the floor."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import log

BATCH_SECONDS = 120.0  # a ceiling on each batch, whatever the request count says
# After a batch, the server may still be busy with what the batch set off (tasks after the
# answer, the worker consuming its events, a garbage collection of its objects). That CPU is
# the batch's: its side waits until the server is quiet, one clock tick or less over
# SETTLE_POLL_SECONDS, for SETTLE_SECONDS at most, instead of charging it to the next side.
SETTLE_POLL_SECONDS = 0.1
SETTLE_SECONDS = 3.0


@dataclass(frozen=True)
class Answer:
    error: str | None = None
    source: str | None = None  # what answered (the homepage's CACHE, PERSONALIZED, …)
    items: int = 0  # how much data it carried, to check both sides carry the same


Call = Callable[[int], Awaitable[Answer]]  # the i-th request of a side


@dataclass
class Tally:
    """What the batches of one side add up to."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sources: Counter[str] = field(default_factory=Counter)
    items: int = 0
    seconds: float = 0.0
    bench_cpu: float = 0.0
    server_cpu: float | None = None

    def summary(self, planned: int) -> dict[str, Any]:
        done, ordered = len(self.latencies_ms), sorted(self.latencies_ms)
        if not done:
            return {"completed": 0, "errors": len(self.errors)}
        result: dict[str, Any] = {
            **latency_summary(ordered),
            "max_ms": round(ordered[-1], 3),
            "rps": round(done / self.seconds, 1),
            "errors": len(self.errors),
            "bench_cpu_ms_per_request": round(self.bench_cpu * 1000 / done, 3),
        }
        if self.sources:
            result["sources"] = {k: round(n / done, 4) for k, n in sorted(self.sources.items())}
        if self.server_cpu is not None:
            result["server_cpu_ms_per_request"] = round(self.server_cpu * 1000 / done, 3)
        if done < planned:
            result["completed"] = done  # the time ceiling cut it short
        if self.errors:
            result["first_error"] = self.errors[0]
        return result


async def run_batch(
    call: Call,
    indexes: Sequence[int],
    concurrency: int,
    tally: Tally,
    server_pid: int | None = None,
) -> None:
    """``call(i)`` for each i, ``concurrency`` at a time, within BATCH_SECONDS; the bench's CPU
    and (given its pid) the server's, its workers included, are added to the tally."""
    pending = iter(indexes)
    deadline = time.monotonic() + BATCH_SECONDS

    async def worker() -> None:
        for i in pending:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            answer = await call(i)
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            tally.items += answer.items
            if answer.source is not None:
                tally.sources[answer.source] += 1
            if answer.error is not None:
                tally.errors.append(answer.error)

    server_cpu = process_tree_cpu_seconds(server_pid) if server_pid else 0.0
    bench_cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.seconds += time.perf_counter() - started
    tally.bench_cpu += time.process_time() - bench_cpu
    if server_pid:
        spent = await settled_cpu_seconds(server_pid) - server_cpu
        tally.server_cpu = (tally.server_cpu or 0.0) + spent


async def settled_cpu_seconds(pid: int) -> float:
    """``process_tree_cpu_seconds`` once the tree has gone quiet (see SETTLE_SECONDS)."""
    tick = 1 / os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + SETTLE_SECONDS
    before = process_tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(SETTLE_POLL_SECONDS)
        now = process_tree_cpu_seconds(pid)
        if now - before <= tick:
            return now
        before = now
    return before


@dataclass(frozen=True)
class Side:
    name: str
    call: Call
    server_pid: int | None = None  # whose CPU to count: the API's, not the floor's


async def alternate(
    sides: Sequence[Side],
    requests: int,
    *,
    concurrency: int,
    step: int,
    warmup: int,
    before_batch: Callable[[range], Awaitable[None]] | None = None,
) -> dict[str, Tally]:
    """Each side warmed up with ``warmup`` uncounted requests, then all sides in turn, ``step``
    requests at a time, until each has made ``requests``: a neighbour's burst of load on a
    shared machine falls on every side rather than on one. ``before_batch`` runs (untimed)
    before every turn of the sides, the warm-up's included."""
    if before_batch is not None:
        await before_batch(range(warmup))
    for side in sides:
        await run_batch(side.call, range(warmup), concurrency, Tally())
    # The bench's own full collections walked everything its setup made (a homepage run's
    # seeded profiles: 130-160 ms each, logged with gc.callbacks) and stopped every request in
    # flight meanwhile, so whichever side was running took the pause into its p99. Frozen, the
    # setup is not walked again: what a pause remains is the requests' own.
    gc.collect()
    gc.freeze()
    tallies = {side.name: Tally() for side in sides}
    batches = -(-requests // step)
    for number, first in enumerate(range(0, requests, step), 1):
        indexes = range(first, min(first + step, requests))
        if before_batch is not None:
            await before_batch(indexes)
        for side in sides:
            await run_batch(side.call, indexes, concurrency, tallies[side.name], side.server_pid)
        log(f"batch {number}/{batches}: {len(indexes)} requests per side")
    return tallies


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator else None


def ratios(side: dict[str, Any], floor: dict[str, Any]) -> dict[str, float | None]:
    """Against the floor's summary: ``p50`` and ``p99`` are side / floor, ``rps`` floor / side,
    so 1.0 is the floor and larger is slower."""
    return {
        "p50": ratio(side.get("p50_ms", 0.0), floor.get("p50_ms", 0.0)),
        "p99": ratio(side.get("p99_ms", 0.0), floor.get("p99_ms", 0.0)),
        "rps": ratio(floor.get("rps", 0.0), side.get("rps", 0.0)),
    }


def percentile(sorted_ms: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted samples; 0.0 when there are none."""
    if not sorted_ms:
        return 0.0
    index = min(len(sorted_ms) - 1, max(0, round(fraction * len(sorted_ms)) - 1))
    return sorted_ms[index]


def latency_summary(sorted_ms: Sequence[float]) -> dict[str, float]:
    """``p50_ms`` and ``p99_ms`` of sorted samples, rounded to the microsecond."""
    return {
        "p50_ms": round(percentile(sorted_ms, 0.50), 3),
        "p99_ms": round(percentile(sorted_ms, 0.99), 3),
    }


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU so far of a process and its descendants (uvicorn's workers)
    (Linux /proc; 0.0 elsewhere)."""
    cpu: dict[int, float] = {}
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = Path(entry, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, family = 0.0, [pid]
    while family:
        member = family.pop()
        total += cpu.get(member, 0.0)
        family.extend(children.get(member, []))
    return total
