"""Startup: time to first frame in the web client, from the Play click to the first ``playing``.

What is measured: on a title page of the real web client (``player-web/dist`` served by ``flix
serve``), headless Debian Chromium clicks Play; the page itself records ``performance.now()``
in a capturing ``click`` listener on the document (it runs before the client's router handles
the link) and again in a capturing ``playing`` listener (the first ``playing`` of the video
element the player mounts). The difference is the time to first frame. Every play runs in a
**fresh browser context**: cold HTTP cache, so the ``playback`` query, the manifest and the
first segments all come over the network after the click; the sign-in (cookies and local
storage) is carried over from one registration. The player chunk (shaka-player) is fetched by
the title page itself once it is idle (player-web/src/player/prefetch.ts), so the wait for the
page to go network-idle usually covers it: ``plays_with_chunk_fetched_before_click`` counts
the plays where it did, and ``chunk_arrived_ms`` is when it arrived in the others.

Two conditions, interleaved play by play so that a neighbour's burst of load falls on both:

* ``unthrottled``: loopback as it is;
* ``throttled_5mbps_40ms``: Chrome DevTools Protocol ``Network.emulateNetworkConditions`` with
  5 Mbit/s down and up and 40 ms of added latency, set before the title page loads.

Each condition gets one warm-up play first (not counted: the server's first ``playback`` query
and first media requests). Percentiles are nearest-rank. The targets (p95 under 300 ms
unthrottled, under 1000 ms throttled) are reported, not asserted (and said on stderr, met or
not). ``breakdown`` gives medians of
where the time goes, from the click: the player chunk's arrival, the manifest's, the first media
segment's, and the player's own time to first frame (its ``data-ttff-ms``: from the moment it
asked to play, after the chunk and the ``playback`` query), with the bytes fetched until then.

Setup: the database ``flix_bench_startup_<pid>`` (dropped at the end), migrated, the demo catalog
imported (cached under .flix/cache), a synthetic 480p clip of 30 s made with ffmpeg and ingested
for "Toy Story" with ``flix ingest --ladder fixed --preset ultrafast``, ``flix serve`` on a free
loopback port with a temporary data folder. The stores are private ones started here
(bench/harness/stores.py) unless FLIX_BENCH_POSTGRES (admin libpq URL), FLIX_BENCH_REDIS_URL and
FLIX_BENCH_NATS_URL name the machine's (loopback only; the server's NATS streams then get a
prefix of their own, deleted at the end). It needs Chromium at /usr/bin/chromium
(FLIX_BENCH_CHROMIUM) and a built web client (scripts/install). Run it from the repository root::

    .venv/bin/python -m bench.startup [--quick] [--plays N]

One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.harness import ROOT, command_line, flix_command, log, machine, run_folder
from bench.harness.api import CREATE_PROFILE, REGISTER, SELECT_PROFILE, api_server, registration
from bench.harness.stores import migrate_and_import, open_stores
from bench.harness.tallies import percentile
from media.ffmpeg import ffmpeg_exe

CHROMIUM = Path(os.environ.get("FLIX_BENCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # As in the e2e tests: the click is a gesture anyway; this keeps autoplay out of the figures.
    "--autoplay-policy=no-user-gesture-required",
]
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
TITLE = "Toy Story"
CLIP_SECONDS = 30

THROTTLE_BPS = 5_000_000
THROTTLE_RTT_MS = 40
TARGET_UNTHROTTLED_P95_MS = 300.0
TARGET_THROTTLED_P95_MS = 1000.0

INGEST_SECONDS = 600.0
PAGE_TIMEOUT_MS = 30_000
FIRST_FRAME_TIMEOUT_MS = 30_000
IDLE_TIMEOUT_MS = 15_000
CONDITIONS = ("unthrottled", "throttled_5mbps_40ms")

# Installed in the page before the click; the capturing listeners run before the client's own.
INSTALL_PROBE = """() => {
    performance.setResourceTimingBufferSize(5000);
    performance.clearResourceTimings();
    const probe = { click: null, playing: null };
    window.__startupProbe = probe;
    document.addEventListener('click', (event) => {
        const target = event.target instanceof Element ? event.target : null;
        if (probe.click === null && target && target.closest('[data-action=play]')) {
            probe.click = performance.now();
        }
    }, true);
    document.addEventListener('playing', () => {
        if (probe.playing === null && probe.click !== null) probe.playing = performance.now();
    }, true);
}"""

# Whether the title page has fetched the player chunk before the click (it does when idle).
CHUNK_FETCHED = """() => performance.getEntriesByType('resource').some(
    (entry) => new URL(entry.name).pathname.startsWith('/assets/watch'))"""

READ_PROBE = """() => {
    const probe = window.__startupProbe;
    const player = document.querySelector('.player');
    const resources = performance.getEntriesByType('resource').map((entry) => ({
        name: entry.name,
        start: entry.startTime,
        end: entry.responseEnd,
        bytes: entry.transferSize || entry.encodedBodySize || 0,
    }));
    return {
        click: probe.click,
        playing: probe.playing,
        playerTtffMs: player && player.dataset.ttffMs ? Number(player.dataset.ttffMs) : null,
        resources,
    };
}"""


def summarize(samples: list[float]) -> dict[str, float | None]:
    if not samples:
        return {"p50_ms": None, "p95_ms": None, "min_ms": None, "max_ms": None}
    ordered = sorted(samples)
    return {
        "p50_ms": round(percentile(ordered, 0.50), 1),
        "p95_ms": round(percentile(ordered, 0.95), 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
    }


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


# ---------------------------------------------------------------------------------------------
# One play


@dataclass
class Play:
    condition: str
    ttff_ms: float
    player_ttff_ms: float | None
    chunk_ms: float | None  # click → the player chunk (watch-*.js) arrived
    chunk_before_click: bool  # the title page had fetched the chunk already (when idle)
    manifest_ms: float | None  # click → the manifest arrived
    first_segment_ms: float | None  # click → the first media segment arrived
    bytes_before_first_frame: int
    requests_before_first_frame: int
    timeline: list[dict[str, Any]]  # the requests from the click to the first frame


@dataclass
class Results:
    plays: list[Play] = field(default_factory=list)
    warmups: list[Play] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


def throttle(context: BrowserContext, page: Page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": THROTTLE_RTT_MS,
            "downloadThroughput": THROTTLE_BPS / 8,
            "uploadThroughput": THROTTLE_BPS / 8,
        },
    )


def play_once(
    browser: Browser, base_url: str, storage: Any, video_id: str, condition: str, errors: list[str]
) -> Play:
    context = browser.new_context(
        base_url=base_url,
        viewport=VIEWPORT,
        screen={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
        locale="en-US",
        storage_state=storage,
    )
    try:
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        if condition != "unthrottled":
            throttle(context, page)
        page.goto(f"/title/{video_id}")
        button = page.locator("[data-action=play]")
        button.wait_for(state="visible")
        # Let the title page finish its own downloads (backdrop, posters) first, so that they do
        # not share the link with the player's; bounded: a page that never idles is measured too.
        try:
            page.wait_for_load_state("networkidle", timeout=IDLE_TIMEOUT_MS)
        except PlaywrightTimeout:
            log("  (the title page did not go network-idle; measuring anyway)")
        chunk_before_click = bool(page.evaluate(CHUNK_FETCHED))
        page.evaluate(INSTALL_PROBE)
        button.click()
        page.wait_for_function(
            "() => window.__startupProbe && window.__startupProbe.playing !== null",
            timeout=FIRST_FRAME_TIMEOUT_MS,
        )
        probe: dict[str, Any] = page.evaluate(READ_PROBE)
    finally:
        context.close()
    click = float(probe["click"])
    playing = float(probe["playing"])
    before = [r for r in probe["resources"] if click <= r["start"] and r["end"] <= playing]

    def arrived(match: Callable[[str], bool]) -> float | None:
        ends = [r["end"] - click for r in before if match(urlsplit(r["name"]).path)]
        return min(ends) if ends else None

    return Play(
        condition=condition,
        ttff_ms=playing - click,
        player_ttff_ms=probe["playerTtffMs"],
        chunk_ms=arrived(lambda path: "/assets/watch" in path and path.endswith(".js")),
        chunk_before_click=chunk_before_click,
        manifest_ms=arrived(lambda path: path.endswith(".mpd")),
        first_segment_ms=arrived(lambda path: path.endswith((".m4s", ".mp4", ".webm"))),
        bytes_before_first_frame=sum(int(r["bytes"]) for r in before),
        requests_before_first_frame=len(before),
        timeline=[
            {
                "path": urlsplit(r["name"]).path.rsplit("/", 1)[-1] or "/",
                "start_ms": round(r["start"] - click, 1),
                "end_ms": round(r["end"] - click, 1),
                "kib": round(int(r["bytes"]) / 1024, 1),
            }
            for r in sorted(before, key=lambda r: float(r["start"]))
        ],
    )


def sign_up(browser: Browser, base_url: str) -> Any:
    """One account with one adult profile, selected; its cookies and local storage."""
    context = browser.new_context(base_url=base_url)
    try:
        context.set_default_timeout(PAGE_TIMEOUT_MS)

        def gql(query: str, **variables: Any) -> dict[str, Any]:
            response = context.request.post(
                "/graphql", data={"query": query, "variables": variables}
            )
            body: dict[str, Any] = response.json()
            if "errors" in body:
                raise RuntimeError(f"GraphQL errors: {body['errors']}")
            return body["data"]  # type: ignore[no-any-return]

        gql(REGISTER, input=registration(f"startup-{uuid.uuid4().hex[:10]}@example.com"))
        created = gql(CREATE_PROFILE, input={"name": "Bench", "isKids": False})
        gql(SELECT_PROFILE, id=created["createProfile"]["id"])
        page = context.new_page()
        page.goto("/")  # so that the client writes whatever it keeps in local storage
        page.wait_for_load_state("load")
        return context.storage_state()
    finally:
        context.close()


def measure(base_url: str, video_id: str, plays: int) -> Results:
    results = Results()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            storage = sign_up(browser, base_url)
            for condition in CONDITIONS:
                warm = play_once(
                    browser, base_url, storage, video_id, condition, results.page_errors
                )
                results.warmups.append(warm)
                log(f"warm-up {condition}: {warm.ttff_ms:.0f} ms")
            for i in range(plays):
                for condition in CONDITIONS if i % 2 == 0 else CONDITIONS[::-1]:
                    done = play_once(
                        browser, base_url, storage, video_id, condition, results.page_errors
                    )
                    results.plays.append(done)
                    chunk = "-" if done.chunk_ms is None else f"{done.chunk_ms:.0f}"
                    log(
                        f"play {i + 1}/{plays} {condition}: {done.ttff_ms:.0f} ms"
                        f" (player {done.player_ttff_ms} ms, chunk at {chunk} ms,"
                        f" {done.bytes_before_first_frame // 1024} KiB)"
                    )
        finally:
            browser.close()
    return results


# ---------------------------------------------------------------------------------------------
# Report


def report(args: argparse.Namespace, results: Results, setup_s: float) -> dict[str, Any]:
    document: dict[str, Any] = {"plays": args.plays}
    breakdown: dict[str, Any] = {}
    for condition in CONDITIONS:
        mine = [p for p in results.plays if p.condition == condition]
        document[condition] = summarize([p.ttff_ms for p in mine])

        def med(pick: Callable[[Play], float | int | None], among: list[Play] = mine) -> Any:
            return median([float(v) for v in (pick(p) for p in among) if v is not None])

        breakdown[condition] = {
            "chunk_arrived_ms": med(lambda p: p.chunk_ms),
            "plays_with_chunk_fetched_before_click": sum(p.chunk_before_click for p in mine),
            "manifest_arrived_ms": med(lambda p: p.manifest_ms),
            "first_segment_arrived_ms": med(lambda p: p.first_segment_ms),
            "player_ttff_ms": med(lambda p: p.player_ttff_ms),
            "kib_before_first_frame": med(lambda p: p.bytes_before_first_frame / 1024),
            "requests_before_first_frame": med(lambda p: p.requests_before_first_frame),
        }
    unthrottled = document["unthrottled"]["p95_ms"]
    throttled = document["throttled_5mbps_40ms"]["p95_ms"]
    document["targets"] = {
        "unthrottled_p95_ms": TARGET_UNTHROTTLED_P95_MS,
        "throttled_p95_ms": TARGET_THROTTLED_P95_MS,
        "met": {
            "unthrottled": unthrottled is not None and unthrottled < TARGET_UNTHROTTLED_P95_MS,
            "throttled": throttled is not None and throttled < TARGET_THROTTLED_P95_MS,
        },
    }
    for condition, target in (
        ("unthrottled", TARGET_UNTHROTTLED_P95_MS),
        ("throttled_5mbps_40ms", TARGET_THROTTLED_P95_MS),
    ):
        p95 = document[condition]["p95_ms"]
        met = document["targets"]["met"][condition.split("_")[0]]
        log(f"{condition}: p95 {p95} ms, target < {target:.0f} ms: {'met' if met else 'NOT met'}")
    document["breakdown_medians"] = breakdown
    # One play's requests, to see where the time goes: the median play of each condition.
    document["timeline_of_median_play"] = {}
    for condition in CONDITIONS:
        mine = sorted(
            (p for p in results.plays if p.condition == condition), key=lambda p: p.ttff_ms
        )
        if mine:
            middle = mine[(len(mine) - 1) // 2]
            document["timeline_of_median_play"][condition] = {
                "ttff_ms": round(middle.ttff_ms, 1),
                "requests": middle.timeline,
            }
    document["warmups_ms"] = {w.condition: round(w.ttff_ms, 1) for w in results.warmups}
    document["method"] = {
        "measured": "in the page: performance.now() in a capturing click listener on Play to"
        " the first capturing `playing` event",
        "browser_context": "fresh per play (cold HTTP cache), signed-in storage carried over",
        "plays_per_condition": args.plays,
        "warmups_per_condition": 1,
        "throttle": {"down_up_bps": THROTTLE_BPS, "latency_ms": THROTTLE_RTT_MS},
        "percentiles": "nearest rank",
        "clip": f"{CLIP_SECONDS} s synthetic 854x480, flix ingest --ladder fixed"
        " --preset ultrafast",
    }
    document["page_errors"] = results.page_errors[:10]
    document["machine"] = {
        **machine(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "setup_s": round(setup_s, 1),
    }
    return document


# ---------------------------------------------------------------------------------------------
# Lifecycle


async def video_id_of(database_url: str, title: str) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        found = await connection.fetchval("SELECT id FROM videos WHERE title = $1", title)
    finally:
        await connection.close()
    if found is None:
        raise RuntimeError(f"{title!r} is not in the demo catalog")
    return str(found)


def serves_the_web_client(url: str) -> None:
    if 'id="app"' not in httpx.get(f"{url}/", timeout=10).text:
        raise RuntimeError("flix serve does not serve the web client at /")


def make_clip(target: Path, seconds: int = CLIP_SECONDS) -> Path:
    """A synthetic 480p clip with a moving picture and a tone (as the e2e tests make)."""
    subprocess.run(
        [
            ffmpeg_exe(),
            *("-v", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc2=size=854x480:rate=25"),
            *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"),
            *("-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"),
            *("-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(target)),
        ],
        check=True,
        timeout=300,
    )
    return target


def ingest(env: dict[str, str], clip: Path, video_id: str) -> None:
    command = flix_command("ingest", str(clip), "--video-id", video_id)
    command += ["--ladder", "fixed", "--preset", "ultrafast"]
    done = subprocess.run(
        command,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=INGEST_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flix ingest failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--plays", type=int, default=20, help="plays per condition")
    parser.add_argument("--quick", action="store_true", help="5 plays per condition")
    args = parser.parse_args()
    if args.quick:
        args.plays = 5
    if not 1 <= args.plays <= 500:
        parser.error("--plays must be 1..500")
    if not (ROOT / "player-web" / "dist" / "index.html").is_file():
        raise SystemExit("player-web is not built: run scripts/install")
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    began = time.monotonic()
    with run_folder("startup") as (stack, work):
        stores = open_stores(
            stack,
            work,
            database=f"flix_bench_startup_{os.getpid()}",
            events_prefix=f"benchstart{os.getpid()}_",
        )
        migrate_and_import(stores)
        video_id = asyncio.run(video_id_of(stores.database_url, TITLE))
        keys = {
            "FLIX_MEDIA_MASTER_KEY": os.urandom(32).hex(),
            "FLIX_MEDIA_SIGNING_KEY": os.urandom(32).hex(),
        }
        api = stack.enter_context(api_server(stores, work, keys))
        serves_the_web_client(api.url)
        log(f"making a {CLIP_SECONDS} s clip and ingesting it for {TITLE!r}…")
        ingest(api.env, make_clip(work / "clip.mp4"), video_id)
        setup_s = time.monotonic() - began
        log(f"setup took {setup_s:.0f} s; {args.plays} plays per condition")
        results = measure(api.url, video_id, args.plays)
    print(json.dumps(report(args, results, setup_s), indent=2))


if __name__ == "__main__":
    main()
