"""Homepage latency: ``homepage(rows: 10, itemsPerRow: 20)`` for many profiles, cache cold and
warm, against the floor any server must pay for the same rows.

What is measured, with the same profiles, request count and concurrency on every side:

* ``cold``: GraphQL over HTTP/1.1 keep-alive on loopback (httpx) to a ``flix serve`` started
  here, each profile signed in with its own bearer token, every request missing the per-profile
  cache (each profile's cache version is bumped in Redis, outside the timed section, before
  every round);
* ``warm``: the same requests again, answered from the cache (``source`` should be CACHE);
* ``floor``: the same page read with plain asyncpg (one SQL statement for the ten rows, after
  one Redis read of the trending chart) and serialized with ``json.dumps``: no HTTP, no GraphQL,
  no sessions, no ranking model.

Each side reports p50/p99 latency, throughput, errors and the share of responses per
``source``; ``ratios`` are flix/floor for latency and floor/flix for throughput (1.0 is the
floor; larger is slower). The targets (issue 12) are reported, not asserted: a warm page
costs the server no more CPU than the floor costs its client, its p99 is within twice the
floor's, and a cold page costs at most 25 ms of server CPU.

Setup: the database ``flix_bench_homepage`` (dropped first and at the end), migrated, the demo
catalog imported (MovieLens-100k, cached under .flix/cache), N accounts with one maturity-4
profile each inserted straight with SQL, each with a seeded random history (viewing state and
progress, My List, thumbs) and a few thousand trending views in the US chart, then ``flix
train`` learns the model the pages are ranked with (``--no-train``: popularity). The stores are
private ones started here (bench/harness/stores.py) unless FLIX_BENCH_POSTGRES (admin libpq URL),
FLIX_BENCH_REDIS_URL and FLIX_BENCH_NATS_URL name the machine's (loopback only). A shared Redis
gets database 13 unless the URL names one, flushed at the start and at the end (the test suite
flushes databases 1-15 of it at any time, so a private one is the default); on a shared NATS the
server's streams get a prefix of their own and are deleted at the end. Run it from the
repository root::

    .venv/bin/python -m bench.homepage [--quick] [--profiles N] [--requests N] [--concurrency C]
                                       [--workers W] [--no-train]

One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from auth.passwords import hash_password
from bench.harness import command_line, flix_command, log, machine, run_folder
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
from bench.harness.stores import Stores, migrate_and_import, open_stores
from bench.harness.tallies import Answer, Call, Side, Tally, alternate, ratio, ratios
from datasources.personalization import trending

BENCH_DB = "flix_bench_homepage"
SHARED_REDIS_DB = 13  # with FLIX_BENCH_REDIS_URL and no database in it; flushed at both ends
PASSWORD = "bench-homepage-password"
MATURITY = 4
COUNTRY = "US"
SEED = 20260101
TRENDING_VIEWS = 4000
SESSION_TTL_SECONDS = 3600
ROWS, ITEMS_PER_ROW = 10, 20
WARMUP = 50  # requests per side before measuring
COMPARED = 20  # profiles whose API page and floor page are compared before measuring
TRAIN_SECONDS = 600
WARM_P99_VS_FLOOR = 2.0
COLD_CPU_MS = 25.0
HOMEPAGE_QUERY = (
    "query($rows: Int!, $items: Int!) { homepage(rows: $rows, itemsPerRow: $items) "
    "{ source rows { id kind title items { id title posterUrl maturityLevel } } } }"
)
HOMEPAGE_VARIABLES = {"rows": ROWS, "items": ITEMS_PER_ROW}

# The floor: every candidate row of the page in one statement. $1 profile, $2 maturity,
# $3 the trending chart's ids (hottest first). Rows: Continue Watching, Trending, the top 3
# genres of the profile's history and "Because you watched" its 3 most recent titles (shared
# genres, by popularity; both rows leave out titles finished or thumbed down), My List, New
# Releases, Top 10. The page keeps the first ten non-empty rows, as the API does.
# (row_number() OVER () numbers a LIMITed subquery's rows in their order, which is cheaper
# than numbering a whole table in a window.)
FLOOR_SQL = """
WITH history AS (
  SELECT h.video_id, h.state, h.client_timestamp, h.hidden_at, v.title, v.genres
  FROM viewing_titles h JOIN videos v ON v.id = h.video_id
  WHERE h.profile_id = $1 AND v.maturity_level <= $2
), thumbs AS (
  SELECT video_id, rating FROM ratings WHERE profile_id = $1
), listed AS (
  SELECT l.video_id, l.added_at, v.genres
  FROM my_list l JOIN videos v ON v.id = l.video_id
  WHERE l.profile_id = $1 AND v.maturity_level <= $2
), excluded AS (
  SELECT video_id FROM history WHERE state = 'COMPLETED'
  UNION SELECT video_id FROM thumbs WHERE rating < 0
), evidence AS (
  SELECT genres, CASE WHEN state = 'COMPLETED' THEN 2.0 ELSE 1.0 END AS weight
  FROM history WHERE state <> 'NOT_STARTED'
  UNION ALL SELECT genres, 1.0 FROM listed
  UNION ALL SELECT v.genres, 2.0 * t.rating FROM thumbs t JOIN videos v ON v.id = t.video_id
), top_genres AS (
  SELECT genre, row_number() OVER (ORDER BY sum(weight) DESC, genre) AS n
  FROM evidence, unnest(genres) AS genre
  GROUP BY genre HAVING sum(weight) > 0
  ORDER BY n LIMIT 3
), seeds AS (
  SELECT video_id, title, genres,
         row_number() OVER (ORDER BY client_timestamp DESC, video_id) AS n
  FROM history WHERE state <> 'NOT_STARTED'
  ORDER BY n LIMIT 3
), chart AS (
  SELECT c.id, c.n FROM unnest($3::bigint[]) WITH ORDINALITY AS c(id, n)
)
SELECT r.rank, r.sub, r.row_id, r.kind, r.row_title,
       v.id, v.title, v.poster_url, v.maturity_level
FROM (
  (SELECT 1 AS rank, 0::bigint AS sub, 'continue' AS row_id, 'CONTINUE_WATCHING' AS kind,
          'Continue Watching' AS row_title, video_id AS id,
          row_number() OVER (ORDER BY client_timestamp DESC, video_id) AS pos
   FROM history WHERE state = 'IN_PROGRESS' AND hidden_at IS NULL
   ORDER BY pos LIMIT 20)
  UNION ALL
  (SELECT 2, 0, 'trending', 'TRENDING', 'Trending Now', c.id, c.n
   FROM chart c JOIN videos v ON v.id = c.id
   WHERE v.maturity_level <= $2
   ORDER BY c.n LIMIT 20)
  UNION ALL
  (SELECT 3, g.n, 'genre:' || g.genre, 'TOP_GENRE', 'Top Picks in ' || g.genre, p.id, p.pos
   FROM top_genres g CROSS JOIN LATERAL (
     SELECT t.id, row_number() OVER () AS pos FROM (
       SELECT v.id FROM videos v
       WHERE v.genres @> ARRAY[g.genre] AND v.maturity_level <= $2
         AND v.id NOT IN (SELECT video_id FROM excluded)
       ORDER BY v.popularity DESC, v.id LIMIT 20) t) p)
  UNION ALL
  (SELECT 4, s.n, 'because:' || s.video_id, 'BECAUSE_YOU_WATCHED',
          'Because You Watched ' || s.title, p.id, p.pos
   FROM seeds s CROSS JOIN LATERAL (
     SELECT t.id, row_number() OVER () AS pos FROM (
       SELECT v.id FROM videos v
       WHERE v.genres && s.genres AND v.id <> s.video_id AND v.maturity_level <= $2
         AND v.id NOT IN (SELECT video_id FROM excluded)
       ORDER BY v.popularity DESC, v.id LIMIT 20) t) p)
  UNION ALL
  (SELECT 5, 0, 'my-list', 'MY_LIST', 'My List', video_id,
          row_number() OVER (ORDER BY added_at DESC, video_id)
   FROM listed ORDER BY 7 LIMIT 20)
  UNION ALL
  (SELECT 6, 0, 'new', 'NEW_RELEASES', 'New Releases', t.id, row_number() OVER ()
   FROM (SELECT id FROM videos WHERE maturity_level <= $2
         ORDER BY release_year DESC NULLS LAST, id DESC LIMIT 20) t)
  UNION ALL
  (SELECT 7, 0, 'top10', 'TOP_10', 'Top 10 in US Today', c.id, c.n
   FROM chart c JOIN videos v ON v.id = c.id WHERE v.maturity_level <= $2
   ORDER BY c.n LIMIT 10)
) AS r JOIN videos v ON v.id = r.id
ORDER BY r.rank, r.sub, r.pos
"""


@dataclass(frozen=True)
class Member:
    account_id: uuid.UUID
    profile_id: uuid.UUID
    token: str = ""


def uuid_from(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


# ---------------------------------------------------------------------------------------------
# Measuring


def summary(tally: Tally, planned: int) -> dict[str, Any]:
    """The side's figures, with the titles per page (both sides should carry as many)."""
    result = tally.summary(planned)
    if tally.latencies_ms:
        result["items_per_page"] = round(tally.items / len(tally.latencies_ms), 1)
    return result


async def retire_caches(redis: Redis, members: Sequence[Member]) -> None:
    """What a signal does to each profile's homepage cache: bump its version."""
    async with redis.pipeline(transaction=False) as pipe:
        for member in members:
            pipe.incr(f"homepage:version:{member.profile_id}")
        await pipe.execute()


def flix_call(client: httpx.AsyncClient, members: Sequence[Member]) -> Call:
    async def call(i: int) -> Answer:
        token = members[i % len(members)].token
        try:
            page = (await graphql(client, HOMEPAGE_QUERY, HOMEPAGE_VARIABLES, token))["homepage"]
        except REQUEST_ERRORS as error:
            return Answer(error=failure(error))
        items = sum(len(row["items"]) for row in page["rows"])
        return Answer(source=page["source"], items=items)

    return call


async def floor_page(
    connection: asyncpg.Connection, redis: Redis, profile_id: uuid.UUID
) -> dict[str, Any]:
    chart = await trending.top(redis, COUNTRY, 40)
    records = await connection.fetch(FLOOR_SQL, profile_id, MATURITY, chart)
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for record in records:
        row = rows.setdefault(
            (record["rank"], record["sub"]),
            {
                "id": record["row_id"],
                "kind": record["kind"],
                "title": record["row_title"],
                "items": [],
            },
        )
        row["items"].append(
            {
                "id": str(record["id"]),
                "title": record["title"],
                "posterUrl": record["poster_url"],
                "maturityLevel": record["maturity_level"],
            }
        )
    return {"source": "FLOOR", "rows": list(rows.values())[:ROWS]}


def floor_call(pool: asyncpg.Pool, redis: Redis, members: Sequence[Member]) -> Call:
    async def call(i: int) -> Answer:
        async with pool.acquire() as connection:
            page = await floor_page(connection, redis, members[i % len(members)].profile_id)
        json.dumps({"data": {"homepage": page}}).encode()
        return Answer(source="FLOOR", items=sum(len(row["items"]) for row in page["rows"]))

    return call


async def compare_pages(
    client: httpx.AsyncClient, pool: asyncpg.Pool, redis: Redis, members: Sequence[Member]
) -> dict[str, Any]:
    """The floor must carry what the API carries: for a sample of profiles, the same row kinds
    in the same order, and how many of the page's titles the two share (the rankings differ:
    the API's "Because you watched" and genre rows use its ranker, the floor popularity)."""
    same_kinds, overlaps = 0, []
    for member in members:
        data = await graphql(client, HOMEPAGE_QUERY, HOMEPAGE_VARIABLES, member.token)
        api = data["homepage"]["rows"]
        async with pool.acquire() as connection:
            floor = (await floor_page(connection, redis, member.profile_id))["rows"]
        same_kinds += [row["kind"] for row in api] == [row["kind"] for row in floor]
        api_ids = {(row["id"], item["id"]) for row in api for item in row["items"]}
        floor_ids = {(row["id"], item["id"]) for row in floor for item in row["items"]}
        overlaps.append(len(api_ids & floor_ids) / (len(api_ids | floor_ids) or 1))
    return {
        "profiles_compared": len(members),
        "same_row_kinds": same_kinds,
        "mean_item_overlap": round(sum(overlaps) / (len(overlaps) or 1), 3),
    }


async def measure(
    args: argparse.Namespace,
    members: Sequence[Member],
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    redis: Redis,
    server_pid: int,
) -> dict[str, Any]:
    """Rounds of at most one request per profile: cold (caches retired first, untimed), warm
    (the same profiles, now cached), floor. Alternating them round by round makes a
    neighbour's burst of load on a shared machine fall on all three rather than on one."""
    flix, floor = flix_call(client, members), floor_call(pool, redis, members)
    sides = [Side("cold", flix, server_pid), Side("warm", flix, server_pid), Side("floor", floor)]

    async def retire(indexes: range) -> None:
        await retire_caches(redis, [members[i % len(members)] for i in indexes])

    tallies = await alternate(
        sides,
        args.requests,
        concurrency=args.concurrency,
        step=len(members),
        warmup=min(WARMUP, len(members)),
        before_batch=retire,
    )
    return {side: summary(tally, args.requests) for side, tally in tallies.items()}


# ---------------------------------------------------------------------------------------------
# Setup


async def seed(database_url: str, redis: Redis, profiles: int) -> list[Member]:
    """Accounts, profiles and their histories straight in SQL; trending views in Redis."""
    rng = random.Random(SEED)
    password_hash = await asyncio.to_thread(hash_password, PASSWORD)
    now = datetime.now(UTC)
    members = [Member(uuid_from(rng), uuid_from(rng)) for _ in range(profiles)]
    connection = await asyncpg.connect(database_url)
    try:
        movies = await connection.fetch(
            "SELECT id, popularity FROM videos WHERE type = 'MOVIE' AND maturity_level <= $1",
            MATURITY,
        )
        ids = [row["id"] for row in movies]
        weights = [row["popularity"] + 1.0 for row in movies]

        def pick(count: int) -> list[int]:
            chosen: dict[int, None] = {}
            while len(chosen) < count:
                chosen.update(dict.fromkeys(rng.choices(ids, weights, k=count)))
            return list(chosen)[:count]

        accounts, roles, profile_rows = [], [], []
        titles, progress, listed, thumbs = [], [], [], []
        for number, member in enumerate(members):
            email = f"bench{number}@homepage.test"
            accounts.append((member.account_id, email, password_hash, COUNTRY, "PREMIUM"))
            roles.append((member.account_id, "account_owner"))
            profile_rows.append((member.profile_id, member.account_id, "Bench", MATURITY))
            for video_id in pick(rng.randint(5, 30)):
                duration = float(rng.randint(80, 150) * 60)
                done = rng.random() < 0.6
                position = duration if done else duration * rng.uniform(0.06, 0.9)
                at = now - timedelta(seconds=rng.uniform(60, 60 * 86400))
                device = f"device-{rng.randint(1, 3)}"
                state = "COMPLETED" if done else "IN_PROGRESS"
                titles.append(
                    (member.profile_id, video_id, 0, position, duration, state, at, device)
                )
                progress.append(
                    (member.profile_id, video_id, 0, position, duration, at, device, at)
                )
            for video_id in pick(rng.randint(5, 30)):
                at = now - timedelta(seconds=rng.uniform(60, 90 * 86400))
                listed.append((member.profile_id, video_id, at))
            for video_id in pick(rng.randint(5, 30)):
                at = now - timedelta(seconds=rng.uniform(60, 90 * 86400))
                thumbs.append((member.profile_id, video_id, 1 if rng.random() < 0.8 else -1, at))
        copies: list[tuple[str, list[Any], list[str]]] = [
            ("accounts", accounts, ["id", "email", "password_hash", "country", "plan"]),
            ("account_roles", roles, ["account_id", "role"]),
            ("profiles", profile_rows, ["id", "account_id", "name", "maturity_level"]),
            (
                "viewing_titles",
                titles,
                [
                    "profile_id",
                    "video_id",
                    "episode_id",
                    "position_seconds",
                    "duration_seconds",
                    "state",
                    "client_timestamp",
                    "device_id",
                ],
            ),
            (
                "viewing_progress",
                progress,
                [
                    "profile_id",
                    "video_id",
                    "episode_id",
                    "position_seconds",
                    "duration_seconds",
                    "client_timestamp",
                    "device_id",
                    "updated_at",
                ],
            ),
            ("my_list", listed, ["profile_id", "video_id", "added_at"]),
            ("ratings", thumbs, ["profile_id", "video_id", "rating", "rated_at"]),
        ]
        async with connection.transaction():
            for table, records, columns in copies:
                await connection.copy_records_to_table(table, records=records, columns=columns)
        await connection.execute("ANALYZE")
        log(
            f"seeded {profiles} profiles: {len(titles)} viewing titles, {len(listed)} on lists, "
            f"{len(thumbs)} thumbs"
        )
    finally:
        await connection.close()

    views = [
        (
            rng.choice(members).profile_id,
            rng.choices(ids, weights)[0],
            now - timedelta(seconds=rng.uniform(0, 2 * 86400)),
        )
        for _ in range(TRENDING_VIEWS)
    ]
    for first in range(0, len(views), 100):
        await asyncio.gather(
            *(
                trending.record_view(redis, profile_id=p, video_id=v, country=COUNTRY, at=at)
                for p, v, at in views[first : first + 100]
            )
        )
    log(f"recorded {len(views)} trending views in {COUNTRY}")
    return members


async def sign_in_members(
    client: httpx.AsyncClient, redis: Redis, members: Sequence[Member]
) -> list[Member]:
    """The first profile signs in through the API (login, selectProfile); the others get
    sessions of the same shape written straight to Redis, sparing the argon2 verifications."""
    token, _ = await sign_in(client, "bench0@homepage.test", PASSWORD)
    await select_profile(client, token, str(members[0].profile_id))
    signed = [Member(members[0].account_id, members[0].profile_id, token)]
    async with redis.pipeline(transaction=False) as pipe:
        for member in members[1:]:
            token = secrets.token_urlsafe(16)
            fields = ["account_id", str(member.account_id), "profile_id", str(member.profile_id)]
            pipe.hset(f"session:{token}", items=fields)
            pipe.expire(f"session:{token}", SESSION_TTL_SECONDS)
            signed.append(Member(member.account_id, member.profile_id, token))
        await pipe.execute()
    return signed


async def bench(
    args: argparse.Namespace, stores: Stores, api: Api, members: list[Member]
) -> dict[str, Any]:
    redis = Redis.from_url(stores.redis_url, decode_responses=True)
    try:
        async with (
            client(api, args.concurrency) as http,
            asyncpg.create_pool(
                stores.database_url, min_size=args.concurrency, max_size=args.concurrency
            ) as pool,
        ):
            members = await sign_in_members(http, redis, members)
            log(f"{len(members)} profiles signed in; comparing pages with the floor")
            check = await compare_pages(http, pool, redis, members[:COMPARED])
            log(f"floor check: {json.dumps(check)}; measuring")
            load_before = os.getloadavg()[0]
            sides = await measure(args, members, http, pool, redis, api.pid)
            # Neighbours' load shifts absolute times (the ratios less so): show how busy it was.
            sides["load_average_1m"] = {"before": load_before, "after": os.getloadavg()[0]}
            sides["floor"]["check"] = check
    finally:
        await redis.aclose()
    for side in ("cold", "warm", "floor"):
        log(f"{side}: {json.dumps(sides[side])}")
    return sides


def report(args: argparse.Namespace, sides: dict[str, Any]) -> dict[str, Any]:
    warm, cold, floor = sides["warm"], sides["cold"], sides["floor"]
    warm_cpu, floor_cpu = warm.get("server_cpu_ms_per_request"), floor["bench_cpu_ms_per_request"]
    warm_p99 = ratio(warm.get("p99_ms") or 0.0, floor.get("p99_ms") or 0.0)
    cold_cpu = cold.get("server_cpu_ms_per_request")
    targets = {
        "warm_server_cpu_vs_floor_client_cpu": _target(ratio(warm_cpu or 0.0, floor_cpu), 1.0),
        "warm_p99_vs_floor_p99": _target(warm_p99, WARM_P99_VS_FLOOR),
        "cold_server_cpu_ms": _target(cold_cpu, COLD_CPU_MS),
    }
    return {
        "profiles": args.profiles,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "server_workers": args.workers,
        "redis": "shared" if os.environ.get("FLIX_BENCH_REDIS_URL") else "private",
        "model": sides["model"],  # what `flix train` said; null with --no-train
        "cold": sides["cold"],
        "warm": sides["warm"],
        "floor": sides["floor"],
        "ratios": {side: ratios(sides[side], sides["floor"]) for side in ("cold", "warm")},
        "targets": targets,
        "machine": {**machine(), "load_average_1m": sides["load_average_1m"]},
    }


def _target(measured: float | None, at_most: float) -> dict[str, Any]:
    return {
        "measured": measured,
        "at_most": at_most,
        "met": measured is not None and measured <= at_most,
    }


# ---------------------------------------------------------------------------------------------
# Lifecycle


async def seed_profiles(stores: Stores, profiles: int) -> list[Member]:
    redis = Redis.from_url(stores.redis_url, decode_responses=True)
    try:
        return await seed(stores.database_url, redis, profiles)
    finally:
        await redis.aclose()


def train(sqlalchemy_url: str) -> str:
    """``flix train`` on the seeded signals, so that pages are ranked by the served model
    (without one the API falls back to popularity). Returns its closing line."""
    command = flix_command("train")
    log("training the model (flix train)…")
    env = os.environ | {"FLIX_DATABASE_URL": sqlalchemy_url}
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TRAIN_SECONDS, check=False
    )
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise RuntimeError(f"flix train exited with {done.returncode}:\n{output[-4000:]}")
    summary = output.splitlines()[-1] if output else ""
    log(f"flix train: {summary}")
    return summary


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--profiles", type=int, default=200, help="signed-in profiles")
    parser.add_argument("--requests", type=int, default=2000, help="requests per side")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--workers", type=int, default=1, help="`flix serve` worker processes")
    parser.add_argument(
        "--no-train", action="store_true", help="skip `flix train`: popularity ranking"
    )
    parser.add_argument("--quick", action="store_true", help="50 profiles, 200 requests")
    args = parser.parse_args()
    if args.quick:
        args.profiles, args.requests = 50, 200
    if not (
        1 <= args.concurrency <= 256
        and 1 <= args.requests <= 1_000_000
        and 1 <= args.profiles <= 100_000
        and 1 <= args.workers <= 16
    ):
        parser.error(
            "--concurrency must be 1..256, --requests 1..1000000, --profiles 1..100000, "
            "--workers 1..16"
        )
    with run_folder("homepage") as (stack, work):
        stores = open_stores(
            stack,
            work,
            database=BENCH_DB,
            events_prefix=f"benchhome{os.getpid()}_",
            shared_redis_db=SHARED_REDIS_DB,
        )
        migrate_and_import(stores)
        log(f"seeding {args.profiles} profiles…")
        members = asyncio.run(seed_profiles(stores, args.profiles))
        model = None if args.no_train else train(stores.sqlalchemy_url)
        api = stack.enter_context(api_server(stores, work, workers=args.workers))
        sides = asyncio.run(bench(args, stores, api, members))
        sides["model"] = model
    print(json.dumps(report(args, sides), indent=2))


if __name__ == "__main__":
    main()
