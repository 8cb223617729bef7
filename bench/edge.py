"""Edge: what the nginx media edge (server/edge/) spares the origin, and startup through it.

A **play** is what a player does first: the ``playback`` query (to the API, not counted as
media), the DASH manifest it names, the init segment and the segments of the first
``--seconds`` of the top video rendition and of the audio, fetched one after the other. The
same plays (``--plays``, cycling over ``--titles`` titles; each play's own ``playback`` query,
so its own signature, as separate viewers get) run twice against one origin whose
``FLIX_MEDIA_BASE_URL`` is the edge:

* ``direct``: each media URL with the edge's origin replaced by the API's (the signature
  covers the path, not the host), so every request is an origin request;
* ``edge``: the URLs as the API gave them, through the edge, cold at the start. Origin
  requests and bytes are read from the edge's own log (one JSON line per request, the
  authorization subrequests included): a line with an upstream address went to the origin,
  and its ``upstream_body_bytes`` is what the origin sent.

Plays of a title in the same second share a signature (its expiry is in whole seconds), so
they share the edge's cached manifest and authorizations; ``--plays-per-second 1`` paces the
edge's plays so that each has its own, as viewers spread out in time do. Figures are per 100
plays. ``hit_ratio`` is over the edge's /media answers (manifests
included; ``file_hit_ratio`` over segments and init files only). ``fetch_to_first_segment_ms``
is the time from the manifest request to the end of the first video segment, with the init
between (sequential HTTP/1.1 on loopback, after the ``playback`` answer): not a first frame.
The first frame is measured in headless Chromium as bench/startup.py does (``--ttff-plays``
plays on the title page of the real web client, media through the edge, a fresh browser
context each, after one warm-up), when Chromium and a built web client are there.

Setup: the database ``flix_bench_edge_<pid>`` (dropped at the end), migrated, the demo catalog
imported, a synthetic 480p clip of ``--clip-seconds`` ingested for the first ``--titles``
movies (``flix ingest --ladder fixed --preset ultrafast``), ``flix serve`` with
``FLIX_MEDIA_BASE_URL`` at the edge, and the edge (Debian's nginx). Stores as the other
benches (private unless FLIX_BENCH_* names the machine's; loopback only). Run it from the
repository root::

    .venv/bin/python -m bench.edge [--quick] [--plays N] [--seconds S] [--ttff-plays N]
        [--titles N] [--plays-per-second R]

``measure_edge`` is the measurement alone, for benches that run their own origin and edge
(bench/regions.py). One JSON document goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import asyncpg
import httpx

from bench.harness import ROOT, command_line, log, machine, require_loopback, run_folder
from bench.harness.api import api_server, graphql, sign_up
from bench.harness.stores import migrate_and_import, open_stores
from bench.harness.tallies import percentile
from bench.startup import make_clip
from server.edge import EdgeConfig, edge_server, nginx_executable
from server.processes import HOST, free_port

PLAYBACK = "query($id: ID!) { playback(videoId: $id) { dashUrl } }"
AUTHORIZE_URI = "/_flix_authorize"  # the edge's internal location (server/edge/config.py)
INGEST_SECONDS = 600.0
REQUEST_TIMEOUT_S = 30.0
MAX_PLAYS = 1000


@dataclass
class Side:
    """The plays of one side: what the player fetched, and how long to its first segment."""

    plays: int = 0
    requests: int = 0
    bytes: int = 0
    first_segment_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def plays_per_second(self) -> float:
        return round(self.plays / self.seconds, 1) if self.seconds else 0.0


@dataclass(frozen=True)
class PlayPlan:
    """The media of one play, in the order a player asks for it."""

    manifest: str
    first: list[str]  # the video's init and first segment
    rest: list[str]  # the rest: the video's other segments, the audio's init and segments


def _segment_urls(manifest_url: str, mpd: str, seconds: float) -> tuple[list[str], list[str]]:
    """Per AdaptationSet (its top rung by bandwidth), the init and the segments covering
    ``seconds``; video sets first."""
    root = ET.fromstring(mpd)
    picked: list[tuple[bool, list[str]]] = []
    for adaptation in root.findall(".//{*}AdaptationSet"):
        representations = adaptation.findall("{*}Representation")
        if not representations:
            continue
        # The top rung (as a player on a fast link settles on): the most bytes per play.
        representation = max(representations, key=lambda r: int(r.get("bandwidth", "0")))
        template = representation.find("{*}SegmentTemplate")
        if template is None:
            template = adaptation.find("{*}SegmentTemplate")
        if template is None:
            continue
        timescale = int(template.get("timescale", "1"))
        number = int(template.get("startNumber", "1"))
        media = urljoin(manifest_url, template.get("media", ""))
        urls = [urljoin(manifest_url, template.get("initialization", ""))]
        covered = 0.0
        for entry in template.findall("{*}SegmentTimeline/{*}S"):
            for _ in range(int(entry.get("r", "0")) + 1):
                if covered >= seconds:
                    break
                url = media.replace("$RepresentationID$", representation.get("id", ""))
                urls.append(url.replace("$Number%05d$", f"{number:05d}"))
                number += 1
                covered += int(entry.get("d", "0")) / timescale
        kind = adaptation.get("contentType") or adaptation.get("mimeType") or ""
        picked.append((kind.startswith("video"), urls))
    picked.sort(key=lambda pair: not pair[0])  # video first
    video = picked[0][1] if picked and picked[0][0] else []
    others = [url for is_video, urls in picked for url in urls if urls is not video]
    return video[:2], video[2:] + others


async def _play(
    client: httpx.AsyncClient,
    api_url: str,
    token: str,
    video_id: str,
    seconds: float,
    media_url: Callable[[str], str],
    side: Side,
) -> None:
    data = await graphql(client, PLAYBACK, {"id": video_id}, token)
    manifest = media_url(data["playback"]["dashUrl"])
    began = time.perf_counter()
    answer = await client.get(manifest)
    answer.raise_for_status()
    side.requests += 1
    side.bytes += len(answer.content)
    first, rest = _segment_urls(manifest, answer.text, seconds)
    if len(first) < 2:
        raise RuntimeError(f"the manifest at {manifest} lists no video segments")
    for index, url in enumerate(first + rest):
        got = await client.get(media_url(url))  # the manifest's URLs name the edge too
        got.raise_for_status()
        side.requests += 1
        side.bytes += len(got.content)
        if index == len(first) - 1:
            side.first_segment_ms.append((time.perf_counter() - began) * 1000)
    side.plays += 1


async def _run_side(
    api_url: str,
    token: str,
    video_ids: Sequence[str],
    plays: int,
    seconds: float,
    media_url: Callable[[str], str],
    plays_per_second: float | None = None,
) -> Side:
    side = Side()
    began = time.perf_counter()
    async with httpx.AsyncClient(base_url=api_url, timeout=REQUEST_TIMEOUT_S) as client:
        for number in range(plays):
            if plays_per_second:  # a play starts no sooner than its turn
                await asyncio.sleep(
                    max(0.0, began + number / plays_per_second - time.perf_counter())
                )
            try:
                await _play(
                    client,
                    api_url,
                    token,
                    video_ids[number % len(video_ids)],
                    seconds,
                    media_url,
                    side,
                )
            except (httpx.HTTPError, RuntimeError, ET.ParseError) as error:
                side.errors.append(f"{type(error).__name__}: {error}"[:300])
    side.seconds = time.perf_counter() - began
    return side


def _log_lines(access_log: Path, offset: int) -> list[dict[str, str]]:
    with access_log.open("rb") as file:
        file.seek(offset)
        return [json.loads(line) for line in file.read().splitlines() if line.strip()]


def _log_size(access_log: Path) -> int:
    return access_log.stat().st_size if access_log.exists() else 0


def _went_upstream(line: dict[str, str]) -> bool:
    return line.get("upstream", "") not in ("", "-")


def _number(value: str) -> int:
    return sum(int(part) for part in value.replace(",", " ").split() if part.isdigit())


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _per_100(value: float, plays: int) -> float | None:
    return round(value * 100 / plays, 1) if plays else None


def _ms(samples: list[float]) -> dict[str, float | None]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50_ms": None, "p95_ms": None}
    return {
        "p50_ms": round(percentile(ordered, 0.50), 1),
        "p95_ms": round(percentile(ordered, 0.95), 1),
    }


def _edge_figures(lines: list[dict[str, str]], plays: int) -> dict[str, Any]:
    upstream = [line for line in lines if _went_upstream(line)]
    answers = [line for line in lines if line["uri"] != AUTHORIZE_URI]
    media = [line for line in answers if line["uri"].startswith("/media/")]
    files = [line for line in media if not line["uri"].endswith((".mpd", ".m3u8"))]
    authorizations = [line for line in lines if line["uri"] == AUTHORIZE_URI]
    return {
        "origin_requests_per_100_plays": _per_100(len(upstream), plays),
        "origin_bytes_per_100_plays": _per_100(
            sum(_number(line["upstream_body_bytes"]) for line in upstream), plays
        ),
        "origin_authorizations_per_100_plays": _per_100(
            sum(_went_upstream(line) for line in authorizations), plays
        ),
        "hit_ratio": _ratio(sum(line["cache"] == "HIT" for line in media), len(media)),
        "file_hit_ratio": _ratio(sum(line["cache"] == "HIT" for line in files), len(files)),
        "byte_hit_ratio": _ratio(
            sum(_number(line["body_bytes"]) for line in media if line["cache"] == "HIT"),
            sum(_number(line["body_bytes"]) for line in media),
        ),
        "refused": sum(line["status"] == "403" for line in answers),
    }


async def measure_edge(
    api_url: str,
    edge_url: str,
    access_log: Path,
    token: str,
    video_ids: Sequence[str],
    *,
    plays: int = 100,
    seconds: float = 6.0,
    plays_per_second: float | None = None,
) -> dict[str, Any]:
    """The same plays direct and through the edge, figures per 100 plays.

    ``api_url`` is the origin (its ``FLIX_MEDIA_BASE_URL`` must be ``edge_url``), ``token``
    a bearer session with a profile selected that may play ``video_ids``, ``access_log`` the
    edge's (EdgeConfig.access_log). Both URLs must be loopback. ``plays_per_second`` paces
    the plays through the edge (None: one after the other): at most one play a second gives
    every play a signature of its own, as viewers spread out in time have.
    """
    require_loopback(api_url)
    require_loopback(edge_url)
    if not 1 <= plays <= MAX_PLAYS:
        raise ValueError(f"plays must be 1..{MAX_PLAYS}")
    edge_prefix = edge_url.rstrip("/")

    def direct(url: str) -> str:
        if not url.startswith(edge_prefix + "/"):
            raise RuntimeError(f"the API names media at {url!r}, not at the edge {edge_url}")
        return api_url.rstrip("/") + url.removeprefix(edge_prefix)

    log(f"{plays} plays direct from the origin…")
    origin = await _run_side(api_url, token, video_ids, plays, seconds, direct)
    offset = _log_size(access_log)
    log(f"{plays} plays through the edge (cold)…")
    edged = await _run_side(
        api_url, token, video_ids, plays, seconds, lambda url: url, plays_per_second
    )
    await asyncio.sleep(0.2)  # nginx writes a request's line once it has answered it
    figures = _edge_figures(_log_lines(access_log, offset), edged.plays)
    direct_requests = _per_100(origin.requests, origin.plays)
    direct_bytes = _per_100(origin.bytes, origin.plays)
    edge_bytes = figures["origin_bytes_per_100_plays"]
    return {
        "plays": plays,
        "titles": len(video_ids),
        "seconds_per_play": seconds,
        "edge_plays_paced_per_second": plays_per_second,
        "direct": {
            "origin_requests_per_100_plays": direct_requests,
            "origin_bytes_per_100_plays": direct_bytes,
            "fetch_to_first_segment_ms": _ms(origin.first_segment_ms),
            "plays_per_second": origin.plays_per_second,
            "errors": origin.errors[:5],
        },
        "edge": {
            **figures,
            "player_requests_per_100_plays": _per_100(edged.requests, edged.plays),
            "player_bytes_per_100_plays": _per_100(edged.bytes, edged.plays),
            "fetch_to_first_segment_ms": _ms(edged.first_segment_ms),
            "plays_per_second": edged.plays_per_second,
            "errors": edged.errors[:5],
        },
        "origin_offload": {
            "requests": _ratio_of_saved(figures["origin_requests_per_100_plays"], direct_requests),
            "bytes": _ratio_of_saved(edge_bytes, direct_bytes),
        },
        "method": {
            "play": "playback query, DASH manifest, init and segments of the first"
            f" {seconds:g} s of the top video rung and of the audio, sequentially",
            "origin_counts": "direct: every media request; edge: the edge's log lines with an"
            " upstream (authorization subrequests included), bytes = upstream body bytes",
            "manifests": "cached per signed URL; the signature's expiry is in whole seconds,"
            " so plays of a title whose playback query falls in the same second share one"
            " manifest and one authorization per folder (at plays_per_second, several do);"
            " a play with a signature of its own costs the origin its manifest and one"
            " authorization per folder",
            "fetch_to_first_segment_ms": "manifest request to the end of the first video"
            " segment (init between), over HTTP/1.1 keep-alive on loopback: not a first frame",
        },
    }


def _ratio_of_saved(with_edge: float | None, without: float | None) -> float | None:
    """The share of the origin's work the edge took: 1 - with / without."""
    if with_edge is None or not without:
        return None
    return round(1 - with_edge / without, 4)


def first_frame_through_edge(api_url: str, video_id: str, plays: int) -> dict[str, Any]:
    """Time to first frame in headless Chromium (bench/startup.py's play), the media through
    the edge the API names; one warm-up play first (not counted: it fills the edge)."""
    from playwright.sync_api import sync_playwright  # only when a browser is wanted

    from bench import startup

    if not startup.CHROMIUM.exists():
        return {"skipped": f"no Chromium at {startup.CHROMIUM}"}
    if not (ROOT / "player-web" / "dist" / "index.html").is_file():
        return {"skipped": "player-web is not built: run scripts/install"}
    results = startup.Results()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(startup.CHROMIUM), args=startup.CHROMIUM_ARGS
        )
        try:
            storage = startup.sign_up(browser, api_url)
            for number in range(plays + 1):
                done = startup.play_once(
                    browser, api_url, storage, video_id, "unthrottled", results.page_errors
                )
                (results.plays if number else results.warmups).append(done)
                log(f"first frame through the edge {number}/{plays}: {done.ttff_ms:.0f} ms")
        finally:
            browser.close()
    return {
        **startup.summarize([p.ttff_ms for p in results.plays]),
        "plays": plays,
        "warmup_ms": round(results.warmups[0].ttff_ms, 1) if results.warmups else None,
        "manifest_arrived_ms": startup.median(
            [p.manifest_ms for p in results.plays if p.manifest_ms is not None]
        ),
        "first_segment_arrived_ms": startup.median(
            [p.first_segment_ms for p in results.plays if p.first_segment_ms is not None]
        ),
        "measured": "headless Chromium, the Play click to the first `playing` (bench/startup.py),"
        " fresh browser context per play, unthrottled loopback, the edge warm",
        "page_errors": results.page_errors[:5],
    }


# ---------------------------------------------------------------------------------------------
# Standalone: stores, the API with its edge, media, then the measurement


async def first_movies(database_url: str, count: int) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT id FROM videos WHERE type = 'MOVIE' ORDER BY id LIMIT $1", count
        )
    finally:
        await connection.close()
    return [str(row["id"]) for row in rows]


async def viewer(api_url: str) -> str:
    async with httpx.AsyncClient(base_url=api_url, timeout=REQUEST_TIMEOUT_S) as client:
        email = f"edge-{uuid.uuid4().hex[:10]}@example.com"
        token, _ = await sign_up(client, email, {"name": "Bench", "isKids": False})
    return token


def main() -> None:
    from bench.startup import ingest

    parser = command_line(__doc__)
    parser.add_argument("--plays", type=int, default=100, help="plays per side")
    parser.add_argument("--titles", type=int, default=2, help="titles the plays cycle over")
    parser.add_argument("--seconds", type=float, default=6.0, help="media seconds per play")
    parser.add_argument("--clip-seconds", type=int, default=12)
    parser.add_argument(
        "--plays-per-second",
        type=float,
        default=None,
        help="pace the plays through the edge (1: each play its own signature)",
    )
    parser.add_argument("--ttff-plays", type=int, default=5, help="Chromium plays (0: none)")
    parser.add_argument("--quick", action="store_true", help="20 plays, 2 Chromium plays")
    args = parser.parse_args()
    if args.quick:
        args.plays, args.ttff_plays = 20, 2
    if not 1 <= args.plays <= MAX_PLAYS or not 1 <= args.titles <= 5:
        parser.error(f"--plays must be 1..{MAX_PLAYS} and --titles 1..5")
    if args.plays_per_second is not None and not 0.1 <= args.plays_per_second <= 100:
        parser.error("--plays-per-second must be 0.1..100")
    if not 0 <= args.ttff_plays <= 50 or not 2 <= args.clip_seconds <= 120:
        parser.error("--ttff-plays must be 0..50 and --clip-seconds 2..120")
    if nginx_executable() is None:
        raise SystemExit("the edge needs nginx: apt-get install -y nginx")
    began = time.monotonic()
    with run_folder("edge") as (stack, work):
        stores = open_stores(
            stack,
            work,
            database=f"flix_bench_edge_{os.getpid()}",
            events_prefix=f"benchedge{os.getpid()}_",
        )
        migrate_and_import(stores)
        video_ids = asyncio.run(first_movies(stores.database_url, args.titles))
        edge_port = free_port()
        edge_url = f"http://{HOST}:{edge_port}"
        keys = {
            "FLIX_MEDIA_MASTER_KEY": os.urandom(32).hex(),
            "FLIX_MEDIA_SIGNING_KEY": os.urandom(32).hex(),
            "FLIX_MEDIA_BASE_URL": edge_url,
        }
        api = stack.enter_context(api_server(stores, work, keys))
        config = EdgeConfig(origin_url=api.url, listen_port=edge_port, data_dir=work / "edge")
        edge = edge_server(config)
        stack.callback(edge.stop, log)
        edge.start()
        log(f"the edge is ready at {edge_url}")
        clip = make_clip(work / "clip.mp4", args.clip_seconds)
        for video_id in video_ids:
            log(f"ingesting a {args.clip_seconds} s clip for video {video_id}…")
            ingest(api.env, clip, video_id)
        token = asyncio.run(viewer(api.url))
        setup_s = time.monotonic() - began
        document = asyncio.run(
            measure_edge(
                api.url,
                edge_url,
                config.access_log,
                token,
                video_ids,
                plays=args.plays,
                seconds=args.seconds,
                plays_per_second=args.plays_per_second,
            )
        )
        if args.ttff_plays:
            document["first_frame_through_edge"] = first_frame_through_edge(
                api.url, video_ids[0], args.ttff_plays
            )
    document["machine"] = {
        **machine(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "setup_s": round(setup_s, 1),
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
