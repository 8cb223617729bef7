"""Catalog latency: the Flix API against the floor any server must pay for the same data.

What is measured, per scenario, with the same ids/queries, request count and concurrency:

* ``flix``: GraphQL over HTTP/1.1 keep-alive on loopback (httpx), signed in as the demo
  viewer with the adult profile "Alex" selected, to a ``flix serve`` started here;
* ``floor``: the same rows read with plain asyncpg (a pool of as many connections as the
  concurrency) and serialized with ``json.dumps``: no HTTP, no GraphQL, no sessions.

Scenarios: ``video`` (``video(id:)`` cycling over real ids) and ``search`` (``search(query:,
first: 10)`` cycling over ~20 queries, some misspelled). Each reports p50/p99 latency, throughput
and errors (a non-200 or a body with ``errors``); ``ratio`` is flix/floor for latency and
floor/flix for throughput, so 1.0 is the floor and larger is slower. Ratios, not absolute times,
are the point: on a shared machine, the two sides alternate in batches within one run. Also
reported: the CPU the bench and the server spend per request, and how many PostgreSQL
connections the server opened meanwhile (a well-kept pool opens none).

It needs a local PostgreSQL, Redis and NATS (defaults 127.0.0.1:5432 user postgres, :6379, :4222;
override with FLIX_BENCH_POSTGRES (admin libpq URL), FLIX_BENCH_REDIS_URL, FLIX_BENCH_NATS_URL).
It creates the database ``flix_bench`` (dropped first and at the end), migrates it and imports
the demo catalog (MovieLens-100k, cached under .flix/cache). Run it from the repository root::

    .venv/bin/python bench/catalog_latency.py [--quick] [--requests N] [--concurrency C]

One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from harness import (
    DATA_DIR,
    admin_url,
    client_limits,
    drop_database,
    free_port,
    latency_summary,
    log,
    machine,
    process_cpu_seconds,
    recreate_database,
    require_loopback,
    serve_flix,
    wait_ready,
    with_path,
)

from migrations.runner import upgrade
from server.cli.catalog import import_demo_catalog

BENCH_DB = "flix_bench"
WARMUP = 50
ROUNDS = 4  # each side's requests run in this many batches, alternating with the other's
BATCH_SECONDS = 120.0  # a ceiling on each batch, whatever --requests says
VIDEO_QUERY = (
    "query($id: ID!) { video(id: $id) { id title releaseYear rating genres description } }"
)
SEARCH_QUERY = (
    "query($q: String!) { search(query: $q, first: 10) "
    "{ totalCount edges { node { id title rating genres } } } }"
)
SEARCHES = [
    "toy story", "toy stroy", "godfather", "godfater", "star wars", "babe", "twelve monkeys",
    "pulp fiction", "fargo", "braveheart", "the lion king", "jurassic prak", "casablanca",
    "silence of the lambs", "terminator", "batman", "apollo 13", "titanic", "love", "alien",
]  # fmt: skip
FLOOR_VIDEO_SQL = (
    "SELECT id, title, release_year, rating, genres, description FROM videos "
    "WHERE id = $1 AND maturity_level <= $2"
)
# datasources.catalog.search_videos, first page of 10, with the API's whole ORDER BY.
FLOOR_SEARCH_SQL = """
SELECT id, title, rating, genres, count(*) OVER () AS total FROM videos
WHERE maturity_level <= $2
  AND (search_vector @@ websearch_to_tsquery('english', $1) OR title % $1 OR $1 <% title)
ORDER BY ts_rank(search_vector, websearch_to_tsquery('english', $1)) + word_similarity($1, title)
         DESC, popularity DESC, id
LIMIT 10
"""

Call = Callable[[int], Awaitable[str | None]]  # the i-th request; an error message or None


@dataclass
class Tally:
    """What the batches of one side of a scenario add up to."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    bench_cpu: float = 0.0
    server_cpu: float | None = None

    def summary(self, planned: int) -> dict[str, Any]:
        done, ordered = len(self.latencies_ms), sorted(self.latencies_ms)
        result: dict[str, Any] = {
            **latency_summary(ordered),
            "rps": round(done / self.seconds, 1),
            "errors": len(self.errors),
            "bench_cpu_ms_per_request": round(self.bench_cpu * 1000 / done, 3),
        }
        if self.server_cpu is not None:
            result["server_cpu_ms_per_request"] = round(self.server_cpu * 1000 / done, 3)
        if done < planned:
            result["completed"] = done  # the time ceiling cut it short
        if self.errors:
            result["first_error"] = self.errors[0]
        return result


async def run_batch(
    call: Call, indexes: range, concurrency: int, tally: Tally, server_pid: int | None = None
) -> None:
    """Calls ``call(i)`` for each i, ``concurrency`` at a time, within BATCH_SECONDS."""
    pending = iter(indexes)
    deadline = time.monotonic() + BATCH_SECONDS

    async def worker() -> None:
        for i in pending:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            error = await call(i)
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            if error is not None:
                tally.errors.append(error)

    server_cpu = process_cpu_seconds(server_pid) if server_pid else 0.0
    bench_cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.seconds += time.perf_counter() - started
    tally.bench_cpu += time.process_time() - bench_cpu
    if server_pid:
        spent = process_cpu_seconds(server_pid) - server_cpu
        tally.server_cpu = (tally.server_cpu or 0.0) + spent


async def compare(
    flix: Call, floor: Call, args: argparse.Namespace, server_pid: int
) -> dict[str, Any]:
    """Warm both sides up, then alternate them in ROUNDS batches, so that a neighbour's
    burst of load on a shared machine falls on both rather than on one."""
    await run_batch(flix, range(WARMUP), args.concurrency, Tally())
    await run_batch(floor, range(WARMUP), args.concurrency, Tally())
    tallies = {"flix": Tally(), "floor": Tally()}
    step = -(-args.requests // ROUNDS)
    for first in range(0, args.requests, step):
        indexes = range(first, min(first + step, args.requests))
        await run_batch(flix, indexes, args.concurrency, tallies["flix"], server_pid)
        await run_batch(floor, indexes, args.concurrency, tallies["floor"])
    flix_r, floor_r = (tallies[side].summary(args.requests) for side in ("flix", "floor"))
    ratio = {
        "p50": round(flix_r["p50_ms"] / floor_r["p50_ms"], 2),
        "p99": round(flix_r["p99_ms"] / floor_r["p99_ms"], 2),
        "rps": round(floor_r["rps"] / flix_r["rps"], 2),
    }
    return {"flix": flix_r, "floor": floor_r, "ratio": ratio}


async def graphql(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"HTTP {response.status_code}: {json.dumps(body.get('errors'))}")
    return body["data"]


def flix_call(client: httpx.AsyncClient, query: str, variables: list[dict[str, Any]]) -> Call:
    async def call(i: int) -> str | None:
        try:
            await graphql(client, query, variables[i % len(variables)])
        except (RuntimeError, httpx.HTTPError, ValueError) as error:
            return f"{type(error).__name__}: {error}"
        return None

    return call


def floor_video(pool: asyncpg.Pool, ids: list[int], maturity: int) -> Call:
    async def call(i: int) -> str | None:
        async with pool.acquire() as connection:
            row = await connection.fetchrow(FLOOR_VIDEO_SQL, ids[i % len(ids)], maturity)
        json.dumps({"data": {"video": dict(row) if row else None}}).encode()
        return None if row else "no row"

    return call


async def floor_search_page(connection: asyncpg.Connection, text: str, maturity: int) -> Any:
    rows = await connection.fetch(FLOOR_SEARCH_SQL, text, maturity)
    edges = [{"node": {k: row[k] for k in ("id", "title", "rating", "genres")}} for row in rows]
    return {"totalCount": rows[0]["total"] if rows else 0, "edges": edges}


def floor_search(pool: asyncpg.Pool, maturity: int) -> Call:
    async def call(i: int) -> str | None:
        async with pool.acquire() as connection:
            page = await floor_search_page(connection, SEARCHES[i % len(SEARCHES)], maturity)
        json.dumps({"data": {"search": page}}).encode()
        return None

    return call


async def same_answers(client: httpx.AsyncClient, pool: asyncpg.Pool, maturity: int) -> list[str]:
    """The floor must read what the API reads: compare every search's total and ids once."""
    differences = []
    async with pool.acquire() as connection:
        for text in SEARCHES:
            api = (await graphql(client, SEARCH_QUERY, {"q": text}))["search"]
            floor = await floor_search_page(connection, text, maturity)
            api_ids = [int(edge["node"]["id"]) for edge in api["edges"]]
            floor_ids = [edge["node"]["id"] for edge in floor["edges"]]
            if (api["totalCount"], api_ids) != (floor["totalCount"], floor_ids):
                differences.append(text)
    return differences


async def sign_in(client: httpx.AsyncClient) -> int:
    """Log in as the demo viewer and pick "Alex"; returns that profile's maturity level."""
    login = await graphql(
        client,
        'mutation { login(email: "viewer@flix.test", password: "flix-demo-password") '
        "{ token account { profiles { id name maturityLevel } } } }",
        {},
    )
    client.headers["Authorization"] = f"Bearer {login['login']['token']}"
    alex = next(p for p in login["login"]["account"]["profiles"] if p["name"] == "Alex")
    await graphql(
        client, "mutation($id: ID!) { selectProfile(id: $id) { id } }", {"id": alex["id"]}
    )
    return int(alex["maturityLevel"])


@contextmanager
def flix_server(database_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``flix serve`` on 127.0.0.1:port, stopped on the way out; its log shown if this fails."""
    env = os.environ | {
        "FLIX_DATABASE_URL": database_url,
        "FLIX_REDIS_URL": require_loopback(
            os.environ.get("FLIX_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        ),
        "FLIX_NATS_URL": require_loopback(
            os.environ.get("FLIX_BENCH_NATS_URL", "nats://127.0.0.1:4222")
        ),
        "FLIX_LOGIN_ATTEMPTS": "1000",  # the bench signs in on every run
    }
    with serve_flix(env, port) as server:
        yield server


async def pg_sessions(pool: asyncpg.Pool) -> int:
    """Connections ever opened to the bench database: a pool that churns shows here."""
    await asyncio.sleep(1.0)  # other backends' counters reach the shared stats within ~1 s
    query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    return int(await pool.fetchval(query))


async def bench(
    args: argparse.Namespace, database_url: str, port: int, server: subprocess.Popen[bytes]
) -> dict[str, Any]:
    limits = client_limits(args.concurrency)
    base_url = f"http://127.0.0.1:{port}"
    async with (
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client,
        asyncpg.create_pool(
            database_url, min_size=args.concurrency, max_size=args.concurrency
        ) as pool,
    ):
        await wait_ready(client, server)
        maturity = await sign_in(client)
        visible = "SELECT id FROM videos WHERE maturity_level <= $1 ORDER BY id"
        ids = [row["id"] for row in await pool.fetch(visible, maturity)]
        log(f"signed in as Alex (maturity {maturity}); {len(ids)} visible videos")
        differences = await same_answers(client, pool, maturity)
        if differences:
            log(f"the floor and the API disagree on: {differences}")
        plans: dict[str, tuple[Call, Call]] = {
            "video": (
                flix_call(client, VIDEO_QUERY, [{"id": str(i)} for i in ids]),
                floor_video(pool, ids, maturity),
            ),
            "search": (
                flix_call(client, SEARCH_QUERY, [{"q": q} for q in SEARCHES]),
                floor_search(pool, maturity),
            ),
        }
        scenarios: dict[str, Any] = {}
        for name, (flix_side, floor_side) in plans.items():
            sessions = await pg_sessions(pool)
            scenarios[name] = await compare(flix_side, floor_side, args, server.pid)
            # The floor's pool is opened once, full: every new session is the server's.
            scenarios[name]["flix"]["pg_connections_opened"] = await pg_sessions(pool) - sessions
            log(f"{name}: {json.dumps(scenarios[name])}")
    return {"scenarios": scenarios, "floor_mismatches": differences}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--quick", action="store_true", help="200 requests per measurement")
    args = parser.parse_args()
    if args.quick:
        args.requests = 200
    if not (1 <= args.concurrency <= 256 and 1 <= args.requests <= 1_000_000):
        parser.error("--concurrency must be 1..256 and --requests 1..1000000")
    admin = admin_url()
    database_url = with_path(admin, BENCH_DB)
    sqlalchemy_url = with_path(admin, BENCH_DB, "postgresql+asyncpg")
    asyncio.run(recreate_database(admin, BENCH_DB))
    try:
        log("migrating and importing the demo catalog…")
        upgrade(sqlalchemy_url)
        asyncio.run(import_demo_catalog(sqlalchemy_url, DATA_DIR, show_progress=False))
        port = free_port()
        with flix_server(sqlalchemy_url, port) as server:
            result = asyncio.run(bench(args, database_url, port, server))
    finally:
        asyncio.run(drop_database(admin, BENCH_DB))
    report = {
        "machine": machine(),
        "requests": args.requests,
        "concurrency": args.concurrency,
        **result,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
