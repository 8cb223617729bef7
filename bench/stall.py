"""A stalled store: how fast the requests that need it fail, and whether the process stays up.

``flix serve`` (one worker) reaches PostgreSQL through the tests' fault proxy
(tests/helpers/faultproxy.py, loopback only). After a baseline, the proxy blackholes the
database (every statement hangs, as a stalled server's do) for ``--stall-seconds``, while
``--concurrency`` signed-in clients keep asking for a page of the catalogue (it needs
PostgreSQL) and one client polls ``/healthz`` every 50 ms; then the proxy heals and the bench
waits for the first answer with data. Reported:

* ``affected``: the stalled requests' latency (p50/p99/max) and codes; the target (issue 12)
  is that they fail within 2 s (the store timeout, FLIX_STORE_TIMEOUT_SECONDS), with most of
  them refused at once by the PostgreSQL circuit breaker (``fast_share``: under 100 ms);
* ``healthz``: its latency meanwhile; the target is under 100 ms;
* ``recovered_after_seconds``: from the heal to the first good answer (the breaker's reset
  period, 5 s, bounds it);
* ``baseline``: the same request before the stall, for scale.

    .venv/bin/python -m bench.stall [--stall-seconds S] [--concurrency C]

One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.catalog_latency import sign_in_as_alex
from bench.harness import command_line, log, machine, run_folder, with_path
from bench.harness.api import api_server, client
from bench.harness.stores import migrate_and_import, open_stores
from bench.harness.tallies import latency_summary
from tests.helpers.faultproxy import FaultProxy

PAGE = "{ videos(first: 5) { edges { node { id title } } } }"
TARGET_FAIL_WITHIN_MS = 2000.0
TARGET_HEALTHZ_MS = 100.0
FAST_MS = 100.0
HEALTHZ_EVERY_SECONDS = 0.05
RECOVERY_SECONDS = 30.0


async def _ask(http: httpx.AsyncClient) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        body = (await http.post("/graphql", json={"query": PAGE})).json()
    except (httpx.HTTPError, ValueError) as error:
        return (time.perf_counter() - started) * 1000, type(error).__name__
    elapsed = (time.perf_counter() - started) * 1000
    errors = body.get("errors") or []
    return elapsed, (errors[0].get("extensions") or {}).get("code", "?") if errors else "OK"


async def _load(
    http: httpx.AsyncClient, seconds: float, concurrency: int
) -> list[tuple[float, str]]:
    answers: list[tuple[float, str]] = []
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < deadline:
            answers.append(await _ask(http))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answers


async def _healthz(http: httpx.AsyncClient, stop: asyncio.Event) -> list[float]:
    latencies = []
    while not stop.is_set():
        started = time.perf_counter()
        await http.get("/healthz")
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(HEALTHZ_EVERY_SECONDS)
    return latencies


def _summary(answers: list[tuple[float, str]]) -> dict[str, Any]:
    codes: dict[str, int] = {}
    for _, code in answers:
        codes[code] = codes.get(code, 0) + 1
    latencies = sorted(ms for ms, _ in answers)
    return {
        "requests": len(answers),
        **latency_summary(latencies),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "codes": codes,
        "fast_share": round(sum(ms < FAST_MS for ms in latencies) / max(1, len(latencies)), 3),
    }


async def bench(args: argparse.Namespace, api: Any, proxy: FaultProxy) -> dict[str, Any]:
    async with client(api, args.concurrency + 1, timeout=60.0) as http, client(api, 1) as probe:
        await sign_in_as_alex(http)
        baseline = await _load(http, 3.0, args.concurrency)
        log(f"baseline: {len(baseline)} requests; stalling PostgreSQL for {args.stall_seconds} s")
        proxy.blackhole()
        stop = asyncio.Event()
        health = asyncio.create_task(_healthz(probe, stop))
        stalled = await _load(http, args.stall_seconds, args.concurrency)
        proxy.heal()
        healed = time.monotonic()
        recovered = None
        while time.monotonic() - healed < RECOVERY_SECONDS:
            if (await _ask(http))[1] == "OK":
                recovered = round(time.monotonic() - healed, 2)
                break
            await asyncio.sleep(0.1)
        stop.set()
        healthz = sorted(await health)
    affected = _summary(stalled)
    health_summary = {**latency_summary(healthz), "max_ms": round(healthz[-1], 1)}
    return {
        "baseline": _summary(baseline),
        "affected": affected,
        "healthz": health_summary,
        "recovered_after_seconds": recovered,
        "targets": {
            "affected_fail_within_ms": {
                "measured_max": affected["max_ms"],
                "at_most": TARGET_FAIL_WITHIN_MS,
                "met": (affected["max_ms"] or 0) <= TARGET_FAIL_WITHIN_MS,
            },
            "healthz_ms": {
                "measured_max": health_summary["max_ms"],
                "below": TARGET_HEALTHZ_MS,
                "met": health_summary["max_ms"] < TARGET_HEALTHZ_MS,
            },
        },
    }


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--stall-seconds", type=float, default=10.0, help="how long it hangs")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    args = parser.parse_args()
    if not (1 <= args.concurrency <= 64 and 1 <= args.stall_seconds <= 60):
        parser.error("--concurrency must be 1..64 and --stall-seconds 1..60")
    with run_folder("stall") as (stack, work):
        stores = open_stores(stack, work, database="flix_bench_stall", events_prefix="stall_")
        migrate_and_import(stores)
        database = urlsplit(stores.admin_url)
        proxy = stack.enter_context(
            FaultProxy(database.hostname or "127.0.0.1", database.port or 5432)
        )
        user = f"{database.username}@" if database.username else ""
        proxied = database._replace(netloc=f"{user}127.0.0.1:{proxy.port}").geturl()
        url = with_path(proxied, stores.database, "postgresql+asyncpg")
        api = stack.enter_context(api_server(stores, work, {"FLIX_DATABASE_URL": url}))
        result = asyncio.run(bench(args, api, proxy))
    print(json.dumps({"machine": machine(), "concurrency": args.concurrency, **result}, indent=2))


if __name__ == "__main__":
    main()
