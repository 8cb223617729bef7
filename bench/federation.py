"""Federation: the same queries through Hive Gateway, from the merged schema, and at the floor.

What is measured, per scenario, with the same profiles, variables, request count and
concurrency on every side, alternated batch by batch within one run (so that a neighbour's
load on a shared machine falls on all three alike):

* ``gateway``: GraphQL over HTTP/1.1 keep-alive on loopback (httpx) to Hive Gateway, started
  here from ``server/gateway/`` over the committed supergraph, which plans each query and
  calls the subgraphs of a ``flix serve`` started here (``/subgraphs/<name>/graphql``);
* ``merged``: the same requests to that ``flix serve``'s own ``/graphql`` (the merged schema,
  one process, no gateway);
* ``floor``: the same rows read with plain asyncpg and serialized with ``json.dumps``: no HTTP,
  no GraphQL, no sessions.

Scenarios: ``homepage`` (bench/homepage.py's page, 10 rows of 20, warm: each profile's page is
cached after the warm-up, on both GraphQL sides; its floor is that bench's one-statement page)
and ``video`` (``video(id:)`` with fields of three subgraphs: catalog's, viewing's
``progress`` and personalization's ``inMyList``; its floor one statement joining the three).
Each side reports p50/p99 latency, throughput, errors and, for the GraphQL sides, the Flix
server's CPU per request (the subgraphs' work on the gateway side), plus the gateway's own
CPU per request on the gateway side. ``ratios`` are gateway/merged and merged/floor (latency;
throughput the other way round, so 1.0 is the same and larger is slower). ``hops`` is how many
subgraph requests the gateway makes for one client request (counted in the server's access
log), and ``gateway_added_ms_per_hop`` the p50 difference gateway - merged divided by them.

It runs against private PostgreSQL, Redis and NATS started here (bench/harness/stores.py),
or the machine's when FLIX_BENCH_POSTGRES, FLIX_BENCH_REDIS_URL and FLIX_BENCH_NATS_URL name
them (loopback only); the database ``flix_bench_federation`` is dropped first and at the end.
Hive Gateway must be installed (scripts/install: server/gateway/node_modules). Run it from the
repository root::

    .venv/bin/python -m bench.federation [--quick] [--requests N] [--concurrency C]

One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from bench.harness import command_line, log, machine, run_folder
from bench.harness.api import REQUEST_ERRORS, Api, api_server, client, failure, graphql, sign_up
from bench.harness.stores import migrate_and_import, open_stores
from bench.harness.tallies import (
    Answer,
    Call,
    Side,
    alternate,
    process_tree_cpu_seconds,
    ratio,
    ratios,
)
from bench.homepage import HOMEPAGE_QUERY, HOMEPAGE_VARIABLES, MATURITY, floor_page
from server.gateway_process import gateway_server
from server.processes import HOST, ChildServer, free_port

BENCH_DB = "flix_bench_federation"
SHARED_REDIS_DB = 12  # with FLIX_BENCH_REDIS_URL and no database in it; flushed at both ends
WARMUP = 40
ROUNDS = 4  # each side's requests run in this many batches, alternating with the others'
PROFILES = 20
VIDEO_QUERY = """query($id: ID!) { video(id: $id) {
  id title releaseYear rating genres description progress { percentComplete } inMyList } }"""
FLOOR_VIDEO_SQL = """
SELECT v.id, v.title, v.release_year, v.rating, v.genres, v.description,
       t.position_seconds, t.duration_seconds, l.video_id IS NOT NULL AS in_my_list
FROM videos v
LEFT JOIN viewing_titles t ON t.profile_id = $3 AND t.video_id = v.id
LEFT JOIN my_list l ON l.profile_id = $3 AND l.video_id = v.id
WHERE v.id = $1 AND v.maturity_level <= $2
"""
_SUBGRAPH_REQUEST = re.compile(r'"path": "/subgraphs/(\w+)/graphql"')


@dataclass(frozen=True)
class Viewer:
    token: str
    profile_id: uuid.UUID


def graphql_call(
    http: httpx.AsyncClient, query: str, variables: Sequence[dict[str, Any]], viewers: list[Viewer]
) -> Call:
    async def call(i: int) -> Answer:
        try:
            await graphql(
                http, query, variables[i % len(variables)], viewers[i % len(viewers)].token
            )
        except REQUEST_ERRORS as error:
            return Answer(error=failure(error))
        return Answer()

    return call


def floor_homepage(pool: asyncpg.Pool, redis: Redis, viewers: list[Viewer]) -> Call:
    async def call(i: int) -> Answer:
        async with pool.acquire() as connection:
            profile = viewers[i % len(viewers)].profile_id
            page = await floor_page(connection, redis, profile)
        json.dumps({"data": {"homepage": page}}).encode()
        return Answer()

    return call


def floor_video(pool: asyncpg.Pool, ids: list[int], viewers: list[Viewer]) -> Call:
    async def call(i: int) -> Answer:
        profile = viewers[i % len(viewers)].profile_id
        async with pool.acquire() as connection:
            row = await connection.fetchrow(FLOOR_VIDEO_SQL, ids[i % len(ids)], MATURITY, profile)
        json.dumps({"data": {"video": dict(row) if row else None}}, default=str).encode()
        return Answer() if row else Answer(error="no row")

    return call


async def hops(
    gateway: httpx.AsyncClient, api_log: Path, query: str, variables: Any, token: str
) -> dict[str, int]:
    """The subgraph requests one client request through the gateway makes, by subgraph."""
    await asyncio.sleep(0.5)  # earlier requests' access-log lines are written by now
    before = len(await asyncio.to_thread(api_log.read_text, errors="replace"))
    await graphql(gateway, query, variables, token)
    await asyncio.sleep(0.5)
    found: dict[str, int] = {}
    written = await asyncio.to_thread(api_log.read_text, errors="replace")
    for name in _SUBGRAPH_REQUEST.findall(written[before:]):
        found[name] = found.get(name, 0) + 1
    return found


async def compare(
    name: str,
    calls: dict[str, Call],
    args: argparse.Namespace,
    api: Api,
    gateway: ChildServer,
    hop_count: dict[str, int],
) -> dict[str, Any]:
    sides = [
        Side("gateway", calls["gateway"], api.pid),
        Side("merged", calls["merged"], api.pid),
        Side("floor", calls["floor"]),
    ]
    assert gateway.proc is not None
    gateway_cpu = process_tree_cpu_seconds(gateway.proc.pid)
    step = -(-args.requests // ROUNDS)
    tallies = await alternate(
        sides, args.requests, concurrency=args.concurrency, step=step, warmup=WARMUP
    )
    # Only the gateway side reaches the gateway: its CPU over the run, per request it served.
    gateway_cpu = process_tree_cpu_seconds(gateway.proc.pid) - gateway_cpu
    summaries = {
        side: tallies[side].summary(args.requests) for side in ("gateway", "merged", "floor")
    }
    served = WARMUP + len(tallies["gateway"].latencies_ms)
    summaries["gateway"]["gateway_cpu_ms_per_request"] = round(gateway_cpu * 1000 / served, 3)
    total_hops = sum(hop_count.values())
    added = summaries["gateway"].get("p50_ms", 0.0) - summaries["merged"].get("p50_ms", 0.0)
    result = {
        **summaries,
        "ratios": {
            "gateway/merged": ratios(summaries["gateway"], summaries["merged"]),
            "merged/floor": ratios(summaries["merged"], summaries["floor"]),
            "gateway/floor": ratios(summaries["gateway"], summaries["floor"]),
        },
        "hops": hop_count,
        "gateway_added_p50_ms": round(added, 3),
        "gateway_added_ms_per_hop": ratio(added, total_hops),
    }
    log(f"{name}: {json.dumps(result)}")
    return result


async def bench(
    args: argparse.Namespace, database_url: str, redis_url: str, api: Api, gateway: ChildServer
) -> dict[str, Any]:
    gateway_api = Api(f"http://{HOST}:{gateway.port}", api.pid, api.log, api.env)
    async with (
        client(api, args.concurrency) as merged,
        client(gateway_api, args.concurrency) as through,
        asyncpg.create_pool(
            database_url, min_size=args.concurrency, max_size=args.concurrency
        ) as pool,
    ):
        redis = Redis.from_url(redis_url, decode_responses=True)
        viewers = []
        for n in range(PROFILES):
            profile = {"name": f"Viewer {n}", "maturityLevel": MATURITY}
            token, profile_id = await sign_up(merged, f"federation-{n}@bench.test", profile)
            # A sign-up with the last one's cookie would end that session: start afresh.
            merged.cookies.clear()
            viewers.append(Viewer(token, uuid.UUID(profile_id)))
        visible = "SELECT id FROM videos WHERE maturity_level <= $1 ORDER BY id"
        ids = [row["id"] for row in await pool.fetch(visible, MATURITY)]
        log(f"{len(viewers)} viewers signed up; {len(ids)} visible videos")
        video_variables = [{"id": str(i)} for i in ids]
        plans: dict[str, tuple[str, list[dict[str, Any]], Call]] = {
            "homepage": (
                HOMEPAGE_QUERY,
                [HOMEPAGE_VARIABLES],
                floor_homepage(pool, redis, viewers),
            ),
            "video": (VIDEO_QUERY, video_variables, floor_video(pool, ids, viewers)),
        }
        scenarios: dict[str, Any] = {}
        try:
            for name, (query, variables, floor) in plans.items():
                counted = await hops(through, api.log, query, variables[0], viewers[0].token)
                calls = {
                    "gateway": graphql_call(through, query, variables, viewers),
                    "merged": graphql_call(merged, query, variables, viewers),
                    "floor": floor,
                }
                scenarios[name] = await compare(name, calls, args, api, gateway, counted)
        finally:
            await redis.aclose()
    return scenarios


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per side")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--quick", action="store_true", help="200 requests per side, 8 at once")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.concurrency = 200, 8
    if not (1 <= args.concurrency <= 256 and 1 <= args.requests <= 1_000_000):
        parser.error("--concurrency must be 1..256 and --requests 1..1000000")
    with run_folder("federation") as (stack, work):
        stores = open_stores(
            stack,
            work,
            database=BENCH_DB,
            events_prefix="benchfederation_",
            shared_redis_db=SHARED_REDIS_DB,
        )
        migrate_and_import(stores)
        api = stack.enter_context(api_server(stores, work))
        gateway = start_gateway(stack, api, work)
        scenarios = asyncio.run(bench(args, stores.database_url, stores.redis_url, api, gateway))
    report = {
        "machine": machine(),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "scenarios": scenarios,
    }
    print(json.dumps(report, indent=2))


def start_gateway(stack: ExitStack, api: Api, work: Path) -> ChildServer:
    gateway = gateway_server(api.url, free_port(), work / "gateway.log")
    log("starting Hive Gateway")
    stack.callback(gateway.stop, log)
    gateway.start()
    return gateway


if __name__ == "__main__":
    main()
