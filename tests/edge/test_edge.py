"""The media edge: signatures enforced, segments cached once for every viewer, Range, CORS."""

from __future__ import annotations

import http.client
import re
import time

import httpx

from media.delivery import AssetUrls
from tests.edge.conftest import ASSET, SIGNING_KEY, Edge

SEGMENT = "video/240p/seg-00002.m4s"


def _urls(edge: Edge, expires_in: int = 600) -> AssetUrls:
    return AssetUrls(SIGNING_KEY, edge.url, ASSET, int(time.time()) + expires_in)


def test_tampered_and_expired_signatures_are_refused_at_the_edge(edge: Edge) -> None:
    good = _urls(edge).sign(SEGMENT)
    tampered = good.replace("sig=", "sig=x")
    expired = _urls(edge, expires_in=-10).sign(SEGMENT)
    path, query = good.split("?")
    other_title = path.replace(ASSET, "video-2-other1") + "?" + query  # outside its scope
    for refused in (tampered, expired, other_title, path):
        answer = httpx.get(refused)
        assert answer.status_code == 403, refused
        assert answer.headers["access-control-allow-origin"] == "*"
    # The origin was asked about the tampered and the expired signatures only (the others
    # fail at the edge), and a refusal asked again is answered from the edge's memory.
    assert edge.origin.paths["/media-authorize"] == 2
    assert httpx.get(tampered).status_code == 403
    assert edge.origin.paths["/media-authorize"] == 2
    assert httpx.get(good).status_code == 200


def test_a_segment_served_twice_reaches_the_origin_once(edge: Edge) -> None:
    path = f"/media/{ASSET}/{SEGMENT}"
    first_viewer, second_viewer = _urls(edge, 600).sign(SEGMENT), _urls(edge, 900).sign(SEGMENT)
    with httpx.Client() as client:
        for url in (first_viewer, first_viewer, second_viewer):
            answer = client.get(url)
            assert answer.status_code == 200 and answer.content == edge.file(SEGMENT)
    assert answer.headers["x-cache"] == "HIT"
    assert edge.origin.paths[path] == 1
    # One authorization per signature (its folder, expiry and sig), not one per request.
    assert edge.origin.paths["/media-authorize"] == 2


def test_range_requests_are_cut_from_the_cached_segment(edge: Edge) -> None:
    url = _urls(edge).sign("video/360p/seg-00001.m4s")
    whole = edge.file("video/360p/seg-00001.m4s")
    part = httpx.get(url, headers={"range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    assert part.content == whole[100:200]
    tail = httpx.get(url, headers={"range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole[-10:]
    assert edge.origin.paths[f"/media/{ASSET}/video/360p/seg-00001.m4s"] == 1


def test_cors_headers_come_through_the_edge(edge: Edge) -> None:
    url = _urls(edge).sign("video/240p/init.mp4")
    for _ in range(2):  # the miss, then the hit: the cached object keeps the origin's headers
        answer = httpx.get(url, headers={"origin": "https://player.example"})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "content-length" in answer.headers["access-control-expose-headers"].lower()


def test_manifests_name_the_edge_and_are_cached_per_signed_url(edge: Edge) -> None:
    manifest = _urls(edge).manifest("manifest", 360)
    assert manifest.startswith(edge.url)
    with httpx.Client() as client:
        first = client.get(manifest)
        again = client.get(manifest)
        other_signature = client.get(_urls(edge, 700).manifest("manifest", 360))
    assert first.status_code == again.status_code == other_signature.status_code == 200
    assert again.headers["x-cache"] == "HIT" and again.text == first.text
    assert other_signature.headers["x-cache"] == "MISS"  # another URL: rendered for it
    assert "x-accel-expires" not in first.headers  # the edge's, not the player's
    templates = re.findall(r'media="([^"]+)"', first.text)
    assert templates and all(t.startswith(edge.url + "/media/") for t in templates)
    # A higher cap than signed is refused, like at the origin.
    assert httpx.get(manifest.replace("manifest-360", "manifest-720")).status_code == 403


def test_a_cached_grant_ends_with_its_signature(edge: Edge) -> None:
    # exp is whole seconds (int(now) + 2): at least a second left for the first request.
    url = _urls(edge, expires_in=2).sign(SEGMENT)
    assert httpx.get(url).status_code == 200
    time.sleep(3.5)  # past the signature's expiry: the cached verdict and the URL are gone
    assert httpx.get(url).status_code == 403


def test_paths_that_are_not_plain_are_refused(edge: Edge) -> None:
    signed = _urls(edge).sign(SEGMENT)
    query = signed.split("?", 1)[1]
    # Inside the signed folder as written, another title's file once normalized.
    sneaky = f"/media/{ASSET}/video/240p/../../../video-2-other1/video/240p/init.mp4?{query}"
    for path in (sneaky, sneaky.replace("/../", "/%2e%2e/"), f"/media/{ASSET}//{SEGMENT}?{query}"):
        connection = http.client.HTTPConnection(edge.url.removeprefix("http://"))
        connection.request("GET", path)  # as written: httpx would normalize the dots away
        assert connection.getresponse().status == 403, path
        connection.close()
