"""Regions under failure: signed-in viewers through HAProxy while the primary region dies.

What it does, all on loopback and all of it private to this run:

* starts `flix regions up`'s topology (server/regions/topology.py) under a temporary folder:
  the embedded stores, the primary's streaming replica, the us-east, us-west and eu-west BFFs
  (one uvicorn process each), each region's nginx media edge (its BFF's
  ``FLIX_MEDIA_BASE_URL``) and HAProxy with its real settings (checks every second);
* before the BFFs start, seeds a catalog of ``CATALOG_SIZE`` movies on the primary and
  ingests a synthetic ``CLIP_SECONDS`` s clip for ``MEDIA_TITLES`` of them (bench/edge.py's
  clip, bench/startup.py's `flix ingest`), then signs up ``--players`` viewers (account,
  profile, selected) through the balancer, each playing one of the titles with media;
* runs a mixed load for ``--duration-seconds``: each player loads the homepage, opens a title
  (the player's start: title, resume position, ``playback``, whose ``dashUrl`` must name the
  answering region's edge) and sends ``updateProgress`` heartbeats with growing positions
  and client timestamps;
* at ``--kill-at`` seconds SIGKILLs the us-east BFF (the primary region's web tier is lost);
  at ``--restore-at`` starts it again, on its port;
* reports requests failed and over how long, the time to failover (kill → the first answer
  from another region, and → HAProxy marking us-east down), the time to fail back (us-east
  ready → the first answer from it again), p99 before, during (kill → failback) and after, and
  ``progress.lost``: every (profile, title) whose newest acknowledged heartbeat (a 200 with
  ``data.updateProgress``) PostgreSQL does not hold at the end. It must be 0.

Then, on the healthy regions, the edge (``edge`` in the report, bench/edge.py's
`measure_edge`): one ``playback`` through the balancer says which region serves and checks
that its ``dashUrl`` names that region's edge; the same ``--edge-plays`` plays of the titles
with media run direct (through the balancer to the BFF) and through that edge, cold: origin
requests and bytes per 100 plays each way, the edge's hit ratio; and the time to first frame
in headless Chromium through the edge (``--ttff-plays``, bench/edge.py's
`first_frame_through_edge`, skipped without Chromium or a built web client).

    .venv/bin/python -m bench.regions [--quick] [--players N] [--duration-seconds S]
        [--edge-plays N] [--ttff-plays N] [--no-edge]

One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.edge import first_frame_through_edge, measure_edge
from bench.harness import command_line, log, machine, run_folder
from bench.harness.api import sign_up
from bench.harness.tallies import latency_summary
from bench.startup import ingest, make_clip
from server.edge import nginx_executable
from server.processes import HOST, EmbeddedServerError, free_port
from server.regions import replica
from server.regions.haproxy import haproxy_binary, stats
from server.regions.layout import REGIONS
from server.regions.topology import Regions, RegionsOptions

CATALOG_SIZE = 200
MEDIA_TITLES = 2  # titles with published media: the players' and the edge's plays
CLIP_SECONDS = 8  # each: enough for the edge's plays (6 s of media each)
EDGE_SECONDS_PER_PLAY = 6.0
REQUEST_TIMEOUT_S = 10.0
SIGN_UP_CONCURRENCY = 4
THINK_S = 0.05  # between a player's requests: a busy player, not a flood
HEARTBEAT_SIMULATED_S = 10.0
MAX_REQUESTS_PER_PLAYER = 5000  # bound on top of the duration
SETTLE_S = 1.0
HOMEPAGE = "{ homepage(rows: 5, itemsPerRow: 10) { rows { title items { id title posterUrl } } } }"
TITLE = "query($id: ID!) { video(id: $id) { title description progress { positionSeconds } } }"
PLAYBACK = "query($id: ID!) { playback(videoId: $id) { dashUrl resumePositionSeconds } }"
UPDATE = "mutation($input: ProgressInput!) { updateProgress(input: $input) { positionSeconds } }"


@dataclass
class Sample:
    kind: str
    started: float  # seconds since the load began
    ms: float
    ok: bool
    region: str
    error: str = ""


@dataclass
class Player:
    token: str
    profile_id: str
    video_id: int
    position: float = 0.0
    clock: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=6))
    acked: tuple[float, datetime] | None = None  # newest acknowledged (position, timestamp)


@dataclass
class Timeline:
    begin: float = 0.0
    killed: float | None = None
    marked_down: float | None = None
    restored: float | None = None  # us-east ready again
    samples: list[Sample] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.begin


@dataclass
class PlaybackMedia:
    """Per region, the playback answers it gave and how many named its own edge."""

    edge_urls: Mapping[str, str]
    answers: dict[str, int] = field(default_factory=dict)
    own_edge: dict[str, int] = field(default_factory=dict)

    def saw(self, data: dict[str, Any], region: str) -> None:
        url = (data.get("playback") or {}).get("dashUrl") or ""
        edge = self.edge_urls.get(region)
        self.answers[region] = self.answers.get(region, 0) + 1
        named = edge is not None and url.startswith(edge + "/media/")
        self.own_edge[region] = self.own_edge.get(region, 0) + named

    def report(self) -> dict[str, Any]:
        return {
            region: {"answers": count, "named_own_edge": self.own_edge.get(region, 0)}
            for region, count in sorted(self.answers.items())
        }


def seed_catalog(regions: Regions) -> list[int]:
    assert regions.primary is not None
    rows = ", ".join(
        f"('Bench title {n}', 'MOVIE', 'PG', 2, ARRAY['Drama'], {CATALOG_SIZE - n})"
        for n in range(CATALOG_SIZE)
    )
    out = replica.sql(
        regions.primary,
        "INSERT INTO videos (title, type, rating, maturity_level, genres, popularity)"
        f" VALUES {rows} RETURNING id",
        database="flix",
    )
    return [int(line) for line in out.splitlines() if line.strip().isdigit()]


@dataclass
class Titles:
    """What `prepare` made: every seeded title, and the first few, which have media."""

    all: list[int] = field(default_factory=list)
    with_media: list[int] = field(default_factory=list)


def prepare(regions: Regions, work: Path, titles: Titles) -> None:
    """Before the BFFs start (they load the catalog snapshot then): the catalog and media."""
    titles.all = seed_catalog(regions)
    titles.with_media = titles.all[:MEDIA_TITLES]
    clip = make_clip(work / "clip.mp4", CLIP_SECONDS)
    for video_id in titles.with_media:
        log(f"ingesting a {CLIP_SECONDS} s clip for video {video_id}…")
        ingest(regions.tool_env(), clip, str(video_id))


async def request(
    client: httpx.AsyncClient,
    timeline: Timeline,
    kind: str,
    query: str,
    variables: dict[str, Any],
    token: str,
    on_answer: Callable[[dict[str, Any], str], None] | None = None,
) -> dict[str, Any] | None:
    """One GraphQL request, sampled; its data when it answered without a failure (given to
    ``on_answer`` with the region that answered)."""
    started = timeline.now()
    region, error, data = "", "", None
    try:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            # A key on every request, as a player sends one: HAProxy may then retry it on
            # another region (queries ignore the key; a repeated mutation answers once).
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        )
        region = response.headers.get("x-flix-region", "")
        body = response.json()
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
        if response.status_code != 200 or codes:
            error = f"{response.status_code} {sorted(str(c) for c in codes)}"
        else:
            data = body.get("data") or {}
            if on_answer is not None:
                on_answer(data, region)
    except (httpx.HTTPError, ValueError) as failure:
        error = f"{type(failure).__name__}: {failure}"[:90]
    ms = (timeline.now() - started) * 1000
    timeline.samples.append(Sample(kind, started, ms, not error, region, error))
    return data


async def play(
    client: httpx.AsyncClient,
    player: Player,
    timeline: Timeline,
    until: float,
    media: PlaybackMedia,
) -> None:
    video = {"id": str(player.video_id)}
    for count in range(MAX_REQUESTS_PER_PLAYER):
        if timeline.now() > until:
            return
        step = count % 4
        if step == 0:
            await request(client, timeline, "homepage", HOMEPAGE, {}, player.token)
        elif step == 1:
            await request(client, timeline, "title", TITLE, video, player.token)
            await request(client, timeline, "playback", PLAYBACK, video, player.token, media.saw)
        else:
            await heartbeat(client, player, timeline)
        await asyncio.sleep(THINK_S)


async def heartbeat(client: httpx.AsyncClient, player: Player, timeline: Timeline) -> None:
    player.position += HEARTBEAT_SIMULATED_S
    player.clock += timedelta(seconds=HEARTBEAT_SIMULATED_S)
    update = {
        "videoId": str(player.video_id),
        "positionSeconds": player.position,
        "durationSeconds": 6000.0,
        "clientTimestamp": player.clock.isoformat(),
        "deviceId": "bench-tv",
    }
    data = await request(client, timeline, "progress", UPDATE, {"input": update}, player.token)
    if data and data.get("updateProgress"):
        player.acked = (player.position, player.clock)


async def watch_balancer(regions: Regions, timeline: Timeline, until: float) -> None:
    """When HAProxy marks us-east down after the kill (its stats socket, every 50 ms)."""
    while timeline.now() < until:
        if timeline.killed is not None and timeline.marked_down is None:
            seen = {h.region: h.status for h in stats(regions.layout.haproxy_socket)}
            if seen.get("us-east", "").startswith("DOWN"):
                timeline.marked_down = timeline.now()
        await asyncio.sleep(0.05)


async def faults(regions: Regions, timeline: Timeline, kill_at: float, restore_at: float) -> None:
    us_east = regions.bffs["us-east"]
    await asyncio.sleep(max(0.0, kill_at - timeline.now()))
    assert us_east.proc is not None
    log("killing the us-east BFF (SIGKILL)")
    us_east.proc.send_signal(signal.SIGKILL)
    timeline.killed = timeline.now()
    await asyncio.sleep(max(0.0, restore_at - timeline.now()))
    log("restoring the us-east BFF")
    # restart() spawns from this (the main) thread and awaits readiness off the event loop.
    await us_east.restart()
    timeline.restored = timeline.now()
    log(f"us-east ready again at {timeline.restored:.1f} s")


async def lost_progress(regions: Regions, players: list[Player]) -> dict[str, int]:
    """Every player's newest acknowledged heartbeat, looked up in PostgreSQL (the primary)."""
    assert regions.primary is not None
    connection = await asyncpg.connect(f"postgresql://postgres@{HOST}:{regions.primary.port}/flix")
    try:
        rows = await connection.fetch(
            "SELECT profile_id::text AS profile, video_id, position_seconds, client_timestamp"
            " FROM viewing_progress WHERE episode_id = 0"
        )
    finally:
        await connection.close()
    stored = {(r["profile"], r["video_id"]): r for r in rows}
    acked = [p for p in players if p.acked is not None]
    lost = 0
    for player in acked:
        assert player.acked is not None
        row = stored.get((player.profile_id, player.video_id))
        # Newest wins: what is stored may be newer than the newest acknowledged (an update
        # committed whose answer was lost), never older.
        if row is None or row["client_timestamp"] < player.acked[1]:
            lost += 1
    return {"players_with_acknowledged_updates": len(acked), "lost": lost}


def summarize(timeline: Timeline, duration: float) -> dict[str, Any]:
    samples = timeline.samples
    killed = timeline.killed or duration
    others = [s for s in samples if s.started >= killed and s.ok and s.region != "us-east"]
    first_elsewhere = min((s.started + s.ms / 1000 for s in others), default=None)
    restored = timeline.restored
    back = [
        s
        for s in samples
        if restored is not None and s.started >= restored and s.region == "us-east"
    ]
    failback_at = min((s.started for s in back), default=None)
    during_end = failback_at if failback_at is not None else duration
    failures = sorted((s for s in samples if not s.ok), key=lambda s: s.started)
    errors: dict[str, int] = {}
    for failure in failures:
        key = f"{failure.kind}: {failure.error}"
        errors[key] = errors.get(key, 0) + 1

    def p99(selected: list[Sample]) -> dict[str, Any]:
        ordered = sorted(s.ms for s in selected if s.ok)
        return {"requests": len(selected), **(latency_summary(ordered) if ordered else {})}

    regions_served: dict[str, int] = {}
    for sample in samples:
        regions_served[sample.region or "-"] = regions_served.get(sample.region or "-", 0) + 1
    return {
        "requests": len(samples),
        "failed": len(failures),
        "failed_ratio": round(len(failures) / max(1, len(samples)), 5),
        "failures_span_seconds": round(failures[-1].started - failures[0].started, 3)
        if failures
        else 0.0,
        "failure_errors": errors,
        "failed_slowest_ms": round(max((f.ms for f in failures), default=0.0), 3),
        "killed_at_s": round(killed, 3),
        "failover_seconds": _since(first_elsewhere, killed),
        "marked_down_seconds": _since(timeline.marked_down, killed),
        "restored_at_s": None if restored is None else round(restored, 3),
        "failback_seconds": _since(failback_at, restored),
        "latency_before": p99([s for s in samples if s.started < killed]),
        "latency_during": p99([s for s in samples if killed <= s.started < during_end]),
        "latency_after": p99([s for s in samples if s.started >= during_end]),
        "served_by": regions_served,
    }


def _since(moment: float | None, start: float | None) -> float | None:
    if moment is None or start is None:
        return None
    return round(moment - start, 3)


async def serving_playback(regions: Regions, token: str, video_id: int) -> dict[str, Any]:
    """One playback through the balancer: which region answered, and whether its manifest
    URL names that region's edge (what its players then fetch media from)."""
    async with httpx.AsyncClient(base_url=regions.url, timeout=REQUEST_TIMEOUT_S) as client:
        response = await client.post(
            "/graphql",
            json={"query": PLAYBACK, "variables": {"id": str(video_id)}},
            headers={"Authorization": f"Bearer {token}"},
        )
    region = response.headers.get("x-flix-region", "")
    url = ((response.json().get("data") or {}).get("playback") or {}).get("dashUrl") or ""
    edge = regions.edge_url(region) if region in REGIONS else None
    return {
        "region": region,
        "edge_url": edge,
        "dash_url_names_region_edge": edge is not None and url.startswith(edge + "/media/"),
    }


def edge_results(
    regions: Regions, token: str, video_ids: list[int], plays: int, ttff_plays: int
) -> dict[str, Any]:
    """bench/edge.py's measurement through the regions' balancer and the serving region's
    edge, and the first frame through it; the titles have media (`prepare`)."""
    serving = asyncio.run(serving_playback(regions, token, video_ids[0]))
    if not serving["dash_url_names_region_edge"]:
        return {"serving": serving, "skipped": "the playback URL names no region's edge"}
    region = serving["region"]
    log(f"the edge: plays through {region}'s edge at {serving['edge_url']}…")
    measured = asyncio.run(
        measure_edge(
            regions.url,
            serving["edge_url"],
            regions.edge_access_log(region),
            token,
            [str(v) for v in video_ids],
            plays=plays,
            seconds=EDGE_SECONDS_PER_PLAY,
        )
    )
    first_frame = (
        first_frame_through_edge(regions.url, str(video_ids[0]), ttff_plays)
        if ttff_plays
        else {"skipped": "--ttff-plays 0"}
    )
    return {"serving": serving, **measured, "first_frame_through_edge": first_frame}


async def sign_up_players(url: str, count: int) -> list[tuple[str, str]]:
    """Through the balancer, a few at a time (password hashing is CPU work: all of them at
    once timed out on a loaded two-core machine), each with a client of its own, as separate
    devices: a shared cookie jar would carry one player's session cookie into the next one's
    sign-up, which ends that session (a sign-in never carries a session over)."""
    gate = asyncio.Semaphore(SIGN_UP_CONCURRENCY)

    async def one(number: int) -> tuple[str, str]:
        email = f"player-{number}-{uuid.uuid4().hex[:6]}@bench.test"
        async with gate, httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as own:
            return await sign_up(own, email, {"name": "P"})

    return await asyncio.gather(*(one(number) for number in range(count)))


@dataclass
class Outcome:
    report: dict[str, Any]
    token: str  # a signed-in player's, for the edge's plays


async def load(
    regions: Regions,
    titles: Titles,
    players: int,
    duration: float,
    kill_at: float,
    restore_at: float,
) -> Outcome:
    limits = httpx.Limits(max_connections=players, max_keepalive_connections=players)
    async with httpx.AsyncClient(
        base_url=regions.url, limits=limits, timeout=REQUEST_TIMEOUT_S
    ) as client:
        log(f"signing up {players} players…")
        signed_up = await sign_up_players(regions.url, players)
        # Every player plays a title with media, so that its playback is a real answer.
        roster = [
            Player(token, profile, titles.with_media[n % len(titles.with_media)])
            for n, (token, profile) in enumerate(signed_up)
        ]
        media = PlaybackMedia({region: regions.edge_url(region) for region in REGIONS})
        timeline = Timeline(begin=time.monotonic())
        log(f"load for {duration:.0f} s; kill at {kill_at:.0f} s, restore at {restore_at:.0f} s")
        await asyncio.gather(
            faults(regions, timeline, kill_at, restore_at),
            watch_balancer(regions, timeline, duration),
            *(play(client, player, timeline, duration, media) for player in roster),
        )
        # One last heartbeat each, once everything is healthy: the newest must be stored too.
        for player in roster:
            await heartbeat(client, player, timeline)
        await asyncio.sleep(SETTLE_S)
        report = summarize(timeline, duration)
        report["playback_media"] = media.report()
        report["progress"] = await lost_progress(regions, roster)
        report["progress"]["acknowledged_updates"] = sum(
            1 for s in timeline.samples if s.kind == "progress" and s.ok
        )
        return Outcome(report, roster[0].token)


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--quick", action="store_true", help="8 players, 24 s, 20 edge plays")
    parser.add_argument("--players", type=int, default=16)
    parser.add_argument("--duration-seconds", type=float, default=45.0)
    parser.add_argument("--edge-plays", type=int, default=100, help="plays per side (1..1000)")
    parser.add_argument("--ttff-plays", type=int, default=2, help="Chromium plays (0: none)")
    parser.add_argument("--no-edge", action="store_true", help="skip the edge's measurement")
    args = parser.parse_args()
    try:
        haproxy_binary()
    except EmbeddedServerError as error:
        raise SystemExit(f"bench.regions needs HAProxy: {error}") from None
    if nginx_executable() is None:
        raise SystemExit("bench.regions needs nginx for the media edges: apt-get install nginx")
    players = 8 if args.quick else max(1, min(args.players, 64))
    duration = 24.0 if args.quick else max(20.0, min(args.duration_seconds, 300.0))
    edge_plays = 20 if args.quick else max(1, min(args.edge_plays, 1000))
    ttff_plays = max(0, min(args.ttff_plays, 20))
    kill_at, restore_at = duration / 4, duration / 2
    began = time.monotonic()
    with run_folder("regions") as (stack, work):
        options = RegionsOptions(
            port=free_port(),
            worker=False,  # progress is written by the BFF itself; no consumer is measured
            extra_env={
                "FLIX_LOGIN_ATTEMPTS": "1000000",
                "FLIX_REGISTRATION_ATTEMPTS": "1000000",
                "FLIX_RATE_LIMIT_SCALE": "100000",
            },
        )
        titles = Titles()
        regions = stack.enter_context(
            Regions(work / "data", options, log, lambda r: prepare(r, work, titles))
        )
        report: dict[str, Any] = {
            "bench": "regions",
            "machine": machine(),
            "players": players,
            "duration_seconds": duration,
            "health_check_interval_ms": options.check_ms,
            "titles_with_media": len(titles.with_media),
            "setup_s": round(time.monotonic() - began, 1),
        }
        outcome = asyncio.run(load(regions, titles, players, duration, kill_at, restore_at))
        report.update(outcome.report)
        report["edge"] = (
            {"skipped": "--no-edge"}
            if args.no_edge
            else edge_results(regions, outcome.token, titles.with_media, edge_plays, ttff_plays)
        )
        report["run_s"] = round(time.monotonic() - began, 1)
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
