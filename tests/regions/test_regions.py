"""Three regions behind a real HAProxy over a real PostgreSQL streaming replica: failover,
retries on another region, sessions across regions, catalog reads from the replica, each
region's players sent to its own media edge (real nginx), and the replica's promotion. The
tests run in file order on one set of regions (conftest.py); the promotion is last."""

from __future__ import annotations

import dataclasses
import html
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx2 as httpx
import pytest

from server.processes import exchange
from server.regions import replica
from server.regions.bff import READYZ_REQUEST
from server.regions.haproxy import stats
from server.regions.layout import REGIONS
from server.regions.topology import PromotionError, Regions

pytestmark = pytest.mark.embedded

WAIT_S = 30.0  # bound of every wait below: checks run every 300 ms
ME = "{ me { email } }"
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { token } }"
CREATE_PROFILE = "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }"
SELECT_PROFILE = "mutation($id: ID!) { selectProfile(id: $id) { id } }"
VIDEO = "query($id: ID!) { video(id: $id) { title } }"
PLAYBACK = "query($id: ID!) { playback(videoId: $id) { dashUrl } }"


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"not within {WAIT_S:.0f} s: {what}"
        time.sleep(0.1)


@dataclass
class Viewer:
    email: str
    cookies: httpx.Cookies


def gql(url: str, query: str, cookies: httpx.Cookies, **variables: Any) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        cookies=cookies,
        timeout=10,
    )


def region_of(response: httpx.Response) -> str:
    return response.headers.get("x-flix-region", "")


def health(regions: Regions) -> dict[str, str]:
    return {h.region: h.status for h in stats(regions.layout.haproxy_socket)}


@pytest.fixture(scope="module")
def viewer(regions: Regions) -> Iterator[Viewer]:
    """Signed up through the balancer (so in us-east), with a profile selected: a cookie."""
    email = f"{uuid.uuid4().hex[:10]}@regions.test"
    with httpx.Client(base_url=regions.url, timeout=10) as client:
        registration = {"email": email, "password": "correct horse battery", "country": "US"}
        registered = client.post(
            "/graphql",
            json={"query": REGISTER, "variables": {"input": {**registration, "plan": "PREMIUM"}}},
        )
        assert registered.status_code == 200 and "errors" not in registered.json(), registered.text
        assert region_of(registered) == "us-east"
        created = client.post(
            "/graphql",
            json={"query": CREATE_PROFILE, "variables": {"input": {"name": "Me"}}},
        )
        profile = created.json()["data"]["createProfile"]["id"]
        selected = client.post(
            "/graphql", json={"query": SELECT_PROFILE, "variables": {"id": profile}}
        )
        assert "errors" not in selected.json(), selected.text
        yield Viewer(email, httpx.Cookies(client.cookies))


def test_the_primary_region_serves_while_healthy(regions: Regions) -> None:
    assert health(regions) == {"us-east": "UP", "us-west": "UP", "eu-west": "UP"}
    answers = [httpx.get(f"{regions.url}/readyz", timeout=10) for _ in range(5)]
    assert [(a.status_code, region_of(a)) for a in answers] == [(200, "us-east")] * 5


def test_a_session_from_one_region_is_valid_in_every_other(
    regions: Regions, viewer: Viewer
) -> None:
    for region in ("us-east", "us-west", "eu-west"):
        answer = gql(regions.region_url(region), ME, viewer.cookies)
        assert answer.json()["data"] == {"me": {"email": viewer.email}}, region


def first_segment_url(manifest_url: str, mpd: str) -> str:
    """The first media segment of the first Representation a DASH manifest lists."""
    representation = re.search(r'<Representation[^>]*\bid="([^"]+)"', mpd)
    template = re.search(r'<SegmentTemplate[^>]*\bmedia="([^"]+)"', mpd)
    assert representation and template, mpd
    media = html.unescape(template.group(1)).replace("$RepresentationID$", representation[1])
    return urljoin(manifest_url, media.replace("$Number%05d$", "00001"))


def test_each_region_sends_its_players_to_its_own_edge(
    regions: Regions, viewer: Viewer, media_video_id: str
) -> None:
    for region in REGIONS:
        answer = gql(regions.region_url(region), PLAYBACK, viewer.cookies, id=media_video_id)
        dash_url = answer.json()["data"]["playback"]["dashUrl"]
        assert dash_url.startswith(f"{regions.edge_url(region)}/media/"), (region, dash_url)
    # Through the balancer: the serving region's edge serves the manifest and a segment.
    served = gql(regions.url, PLAYBACK, viewer.cookies, id=media_video_id)
    edge = regions.edge_url(region_of(served))
    dash_url = served.json()["data"]["playback"]["dashUrl"]
    assert dash_url.startswith(f"{edge}/media/")
    with httpx.Client(timeout=10) as client:
        manifest = client.get(dash_url)
        assert manifest.status_code == 200, manifest.text
        segment_url = first_segment_url(dash_url, manifest.text)
        assert segment_url.startswith(f"{edge}/media/"), segment_url
        whole = client.get(segment_url)
        assert whole.status_code == 200 and len(whole.content) == 50_000
        part = client.get(segment_url, headers={"range": "bytes=0-99"})
        assert part.status_code == 206 and part.content == whole.content[:100]
        assert part.headers["x-cache"] == "HIT"  # the edge's copy, not the origin's again


def test_secondary_regions_read_the_catalog_from_the_replica(
    regions: Regions, viewer: Viewer
) -> None:
    primary, standby = regions.primary, regions.replica
    assert primary is not None and standby is not None
    title = f"Written on the primary {uuid.uuid4().hex[:6]}"
    video_id = replica.sql(
        primary,
        "INSERT INTO videos (title, type, rating, maturity_level)"
        f" VALUES ('{title}', 'MOVIE', 'PG', 2) RETURNING id",
        database="flix",
    ).splitlines()[0]
    # Streaming replication is asynchronous: the row shows up on the replica soon after.
    eventually(
        lambda: (
            replica.sql(standby, f"SELECT title FROM videos WHERE id = {video_id}", "flix") == title
        ),
        "the replica has the new title",
    )
    for region in ("us-west", "eu-west"):
        url = regions.region_url(region)
        ready = httpx.get(f"{url}/readyz", timeout=10).json()
        assert ready["stores"]["catalog_replica"] is True, region
        answer = gql(url, VIDEO, viewer.cookies, id=video_id)
        assert answer.json()["data"] == {"video": {"title": title}}, region
    metrics = httpx.get(f"{regions.region_url('us-west')}/metrics", timeout=10).text
    assert "flix_replication_lag_seconds" in metrics


def test_a_region_whose_readyz_fails_is_drained(regions: Regions) -> None:
    """us-east restarted with its Redis unreachable: it runs, /readyz answers 503, and the
    balancer sends everything to us-west until us-east is healthy again."""
    healthy = regions.bffs["us-east"]
    healthy.stop()
    broken = dict(healthy.env or {})
    broken["FLIX_REDIS_URL"] = "redis://127.0.0.1:9/0"  # the discard port: nothing listens

    def answers_at_all() -> bool:  # started once it answers /readyz at all: never a 200
        return exchange(healthy.port, READYZ_REQUEST).startswith(b"HTTP/1.1 ")

    sick = dataclasses.replace(healthy, env=broken, ready=answers_at_all)
    sick.start()
    try:
        answer = httpx.get(f"{regions.region_url('us-east')}/readyz", timeout=10)
        assert answer.status_code == 503
        eventually(lambda: health(regions)["us-east"] == "DOWN", "us-east marked down")
        answers = [httpx.get(f"{regions.url}/readyz", timeout=10) for _ in range(5)]
        assert [(a.status_code, region_of(a)) for a in answers] == [(200, "us-west")] * 5
    finally:
        sick.stop()
        healthy.start()
    eventually(lambda: health(regions)["us-east"] == "UP", "us-east back up")


def test_a_killed_region_fails_over_and_safe_requests_are_retried(
    regions: Regions, viewer: Viewer
) -> None:
    us_east = regions.bffs["us-east"]
    assert us_east.proc is not None
    us_east.proc.send_signal(signal.SIGKILL)
    us_east.proc.wait()
    # Right after the kill, before any health check ran: the refused connection is retried
    # on the next region, for a GET and for a POST carrying an Idempotency-Key.
    get = httpx.get(f"{regions.url}/readyz", timeout=10)
    assert (get.status_code, region_of(get)) == (200, "us-west")
    keyed = httpx.post(
        f"{regions.url}/graphql",
        json={"query": ME},
        cookies=viewer.cookies,
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert keyed.json()["data"] == {"me": {"email": viewer.email}}
    assert region_of(keyed) == "us-west"
    assert health(regions)["us-east"].startswith("DOWN")
    # Restored, it gets the traffic back.
    us_east.start()
    eventually(
        lambda: region_of(httpx.get(f"{regions.url}/readyz", timeout=10)) == "us-east",
        "failback to us-east",
    )


def test_promoting_the_replica_moves_writes_to_it(regions: Regions, viewer: Viewer) -> None:
    old_primary, standby = regions.primary, regions.replica
    assert old_primary is not None and standby is not None
    regions.promote("us-west")
    assert regions.primary is standby and regions.replica is None
    # Fenced: the old primary is stopped and nothing starts it again.
    assert old_primary.proc is not None and old_primary.proc.poll() is not None
    assert replica.sql(standby, "SELECT pg_is_in_recovery()") == "f"
    eventually(lambda: health(regions)["us-east"] == "UP", "us-east up on the new primary")
    # Writes succeed on the promoted replica, through the balancer; old sessions still work.
    email = f"{uuid.uuid4().hex[:10]}@promoted.test"
    registration = {"email": email, "password": "correct horse battery", "country": "US"}
    registered = gql(
        regions.url, REGISTER, httpx.Cookies(), input={**registration, "plan": "PREMIUM"}
    )
    assert "errors" not in registered.json(), registered.text
    signed_in = httpx.Cookies(registered.cookies)
    assert gql(regions.url, ME, signed_in).json()["data"] == {"me": {"email": email}}
    assert gql(regions.url, ME, viewer.cookies).json()["data"] == {"me": {"email": viewer.email}}
    with pytest.raises(PromotionError):
        regions.promote("us-west")  # nothing left to promote
