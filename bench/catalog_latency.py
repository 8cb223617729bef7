"""Catalog latency: the Flix API against the floor any server must pay for the same data.

What is measured, per scenario, with the same ids/queries, request count and concurrency:

* ``flix``: GraphQL over HTTP/1.1 keep-alive on loopback (httpx), signed in as the demo
  viewer with the adult profile "Alex" selected, to a ``flix serve`` started here;
* ``floor``: the same rows read with plain asyncpg (a pool of as many connections as the
  concurrency) and serialized with ``json.dumps``: no HTTP, no GraphQL, no sessions;
* ``anchor`` (``video`` only): the same query to a minimal strawberry + asyncpg server
  (bench/anchor_app.py, one uvicorn process, parser and validation caches): the framework's
  own floor, so that ``target`` can say whether Flix's server CPU per request is within
  TARGET_CPU_VS_ANCHOR of it.

Scenarios: ``video`` (``video(id:)`` cycling over real ids) and ``search`` (``search(query:,
first: 10)`` cycling over ~20 queries, some misspelled). Each reports p50/p99 latency, throughput
and errors (a non-200 or a body with ``errors``); ``ratio`` is flix/floor for latency and
floor/flix for throughput, so 1.0 is the floor and larger is slower. Ratios, not absolute times,
are the point: on a shared machine, the two sides alternate in batches within one run. Also
reported: the CPU the bench and the server spend per request, and how many PostgreSQL
connections the server opened meanwhile (a well-kept pool opens none).

It runs against the machine's PostgreSQL, Redis and NATS when FLIX_BENCH_POSTGRES (an admin
libpq URL), FLIX_BENCH_REDIS_URL and FLIX_BENCH_NATS_URL name them (loopback only), and otherwise
starts private ones (bench/harness/stores.py). It creates the database ``flix_bench`` (dropped
first and at the end), migrates it and imports the demo catalog (MovieLens-100k, cached under
.flix/cache). Run it from the repository root::

    .venv/bin/python -m bench.catalog_latency [--quick] [--requests N] [--concurrency C]

One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.harness import ROOT, command_line, log, machine, run_folder
from bench.harness.api import (
    REQUEST_ERRORS,
    Api,
    api_server,
    client,
    failure,
    graphql,
    select_profile,
    sign_in,
)
from bench.harness.stores import migrate_and_import, open_stores
from bench.harness.tallies import Answer, Call, Side, alternate, ratios
from server.processes import HOST, ChildServer, exchange, free_port

BENCH_DB = "flix_bench"
# issue 12's target: Flix's server CPU per video(id) at most this times the anchor's.
TARGET_CPU_VS_ANCHOR = 2.0
_ANCHOR_PROBE = f"GET /graphql HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
WARMUP = 50
ROUNDS = 4  # each side's requests run in this many batches, alternating with the other's
SHARED_REDIS_DB = 14  # with FLIX_BENCH_REDIS_URL and no database in it; flushed at both ends
VIDEO_QUERY = (
    "query($id: ID!) { video(id: $id) { id title releaseYear rating genres description } }"
)
SEARCH_QUERY = (
    "query($q: String!) { search(query: $q, first: 10) "
    "{ totalCount edges { node { id title rating genres } } } }"
)
SEARCHES = [
    "toy story",
    "toy stroy",
    "godfather",
    "godfater",
    "star wars",
    "babe",
    "twelve monkeys",
    "pulp fiction",
    "fargo",
    "braveheart",
    "the lion king",
    "jurassic prak",
    "casablanca",
    "silence of the lambs",
    "terminator",
    "batman",
    "apollo 13",
    "titanic",
    "love",
    "alien",
]
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


async def compare(
    flix: Call, floor: Call, args: argparse.Namespace, server_pid: int, anchor: Side | None
) -> Any:
    """Warm every side up, then alternate them in ROUNDS batches, so that a neighbour's
    burst of load on a shared machine falls on all rather than on one."""
    sides = [Side("flix", flix, server_pid), Side("floor", floor), *([anchor] if anchor else [])]
    step = -(-args.requests // ROUNDS)
    tallies = await alternate(
        sides, args.requests, concurrency=args.concurrency, step=step, warmup=WARMUP
    )
    flix_r, floor_r = (tallies[side].summary(args.requests) for side in ("flix", "floor"))
    result = {"flix": flix_r, "floor": floor_r, "ratio": ratios(flix_r, floor_r)}
    if anchor is not None:
        anchor_r = tallies[anchor.name].summary(args.requests)
        cpu = cpu_ratio(flix_r, anchor_r)
        result["anchor"] = anchor_r
        result["target"] = {
            "server_cpu_vs_anchor": cpu,
            "at_most": TARGET_CPU_VS_ANCHOR,
            "met": cpu is not None and cpu <= TARGET_CPU_VS_ANCHOR,
        }
    return result


def cpu_ratio(side: dict[str, Any], anchor: dict[str, Any]) -> float | None:
    spent, floor = side.get("server_cpu_ms_per_request"), anchor.get("server_cpu_ms_per_request")
    return round(spent / floor, 2) if spent and floor else None


def flix_call(client: httpx.AsyncClient, query: str, variables: list[dict[str, Any]]) -> Call:
    async def call(i: int) -> Answer:
        try:
            await graphql(client, query, variables[i % len(variables)])
        except REQUEST_ERRORS as error:
            return Answer(error=failure(error))
        return Answer()

    return call


def floor_video(pool: asyncpg.Pool, ids: list[int], maturity: int) -> Call:
    async def call(i: int) -> Answer:
        async with pool.acquire() as connection:
            row = await connection.fetchrow(FLOOR_VIDEO_SQL, ids[i % len(ids)], maturity)
        json.dumps({"data": {"video": dict(row) if row else None}}).encode()
        return Answer() if row else Answer(error="no row")

    return call


async def floor_search_page(connection: asyncpg.Connection, text: str, maturity: int) -> Any:
    rows = await connection.fetch(FLOOR_SEARCH_SQL, text, maturity)
    edges = [{"node": {k: row[k] for k in ("id", "title", "rating", "genres")}} for row in rows]
    return {"totalCount": rows[0]["total"] if rows else 0, "edges": edges}


def floor_search(pool: asyncpg.Pool, maturity: int) -> Call:
    async def call(i: int) -> Answer:
        async with pool.acquire() as connection:
            page = await floor_search_page(connection, SEARCHES[i % len(SEARCHES)], maturity)
        json.dumps({"data": {"search": page}}).encode()
        return Answer()

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


async def sign_in_as_alex(client: httpx.AsyncClient) -> int:
    """Log in as the demo viewer and pick "Alex"; returns that profile's maturity level."""
    token, profiles = await sign_in(client, "viewer@flix.test", "flix-demo-password")
    client.headers["Authorization"] = f"Bearer {token}"
    alex = next(p for p in profiles if p["name"] == "Alex")
    await select_profile(client, token, alex["id"])
    return int(alex["maturityLevel"])


async def pg_sessions(pool: asyncpg.Pool) -> int:
    """Connections ever opened to the bench database: a pool that churns shows here."""
    await asyncio.sleep(1.0)  # other backends' counters reach the shared stats within ~1 s
    query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    return int(await pool.fetchval(query))


@contextlib.contextmanager
def anchor_server(database_url: str, maturity: int, work: Path) -> Iterator[Api]:
    """bench/anchor_app.py under uvicorn on a free loopback port."""
    port = free_port()
    server = ChildServer(
        name="the anchor",
        argv=[
            sys.executable,
            "-m",
            "uvicorn",
            "bench.anchor_app:app",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        log=work / "anchor.log",
        cwd=ROOT,
        port=port,
        ready=lambda: exchange(port, _ANCHOR_PROBE).startswith(b"HTTP/1.1"),
        env={
            **os.environ,
            "FLIX_BENCH_ANCHOR_DATABASE": database_url,
            "FLIX_BENCH_ANCHOR_MATURITY": str(maturity),
        },
    )
    server.start()
    try:
        assert server.proc is not None
        yield Api(f"http://{HOST}:{port}", server.proc.pid, server.log, server.env or {})
    finally:
        server.stop(log)


def anchor_side(client: httpx.AsyncClient, pid: int, ids: list[int]) -> Side:
    return Side("anchor", flix_call(client, VIDEO_QUERY, [{"id": str(i)} for i in ids]), pid)


async def bench(
    args: argparse.Namespace, database_url: str, api: Api, work: Path
) -> dict[str, Any]:
    async with (
        client(api, args.concurrency) as http,
        asyncpg.create_pool(
            database_url, min_size=args.concurrency, max_size=args.concurrency
        ) as pool,
    ):
        maturity = await sign_in_as_alex(http)
        visible = "SELECT id FROM videos WHERE maturity_level <= $1 ORDER BY id"
        ids = [row["id"] for row in await pool.fetch(visible, maturity)]
        log(f"signed in as Alex (maturity {maturity}); {len(ids)} visible videos")
        differences = await same_answers(http, pool, maturity)
        if differences:
            log(f"the floor and the API disagree on: {differences}")
        plans: dict[str, tuple[Call, Call]] = {
            "video": (
                flix_call(http, VIDEO_QUERY, [{"id": str(i)} for i in ids]),
                floor_video(pool, ids, maturity),
            ),
            "search": (
                flix_call(http, SEARCH_QUERY, [{"q": q} for q in SEARCHES]),
                floor_search(pool, maturity),
            ),
        }
        scenarios: dict[str, Any] = {}
        with anchor_server(database_url, maturity, work) as anchor_api:
            async with client(anchor_api, args.concurrency) as anchor_http:
                anchor = anchor_side(anchor_http, anchor_api.pid, ids)
                for name, (flix_side, floor_side) in plans.items():
                    sessions = await pg_sessions(pool)
                    scenarios[name] = await compare(
                        flix_side, floor_side, args, api.pid, anchor if name == "video" else None
                    )
                    # The floor's pool is opened once, full: new sessions are the servers'.
                    opened = await pg_sessions(pool) - sessions
                    scenarios[name]["flix"]["pg_connections_opened"] = opened
                    log(f"{name}: {json.dumps(scenarios[name])}")
    return {"scenarios": scenarios, "floor_mismatches": differences}


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--quick", action="store_true", help="200 requests per measurement")
    args = parser.parse_args()
    if args.quick:
        args.requests = 200
    if not (1 <= args.concurrency <= 256 and 1 <= args.requests <= 1_000_000):
        parser.error("--concurrency must be 1..256 and --requests 1..1000000")
    with run_folder("catalog-latency") as (stack, work):
        stores = open_stores(
            stack,
            work,
            database=BENCH_DB,
            events_prefix="benchcatalog_",
            shared_redis_db=SHARED_REDIS_DB,
        )
        migrate_and_import(stores)
        api = stack.enter_context(api_server(stores, work))
        result = asyncio.run(bench(args, stores.database_url, api, work))
    report = {
        "machine": machine(),
        "requests": args.requests,
        "concurrency": args.concurrency,
        **result,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
