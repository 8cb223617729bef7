"""Apollo Client (Node, tests/clients/package.json) against a live server: its persisted
queries link and its normalized cache work with Flix as they do with Apollo Server."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from tests.helpers.api import Api
from tests.helpers.progress import ok

CLIENTS = Path(__file__).parent
NODE_TIMEOUT_S = 120


def apollo(scenario: str, base_url: str, token: str, video: int) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (CLIENTS / "node_modules" / "@apollo" / "client").is_dir():
        pytest.skip("tests/clients is not installed: run scripts/install")
    done = subprocess.run(
        [node, "apollo.mjs", scenario, base_url, token, str(video)],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture
def viewer(live_url: str, catalog: dict[str, int]) -> Iterator[Api]:
    """A signed-in viewer with a profile, part-way through one movie."""
    with httpx.Client(base_url=live_url, timeout=30) as client:
        api = Api(cast(TestClient, client))
        api.viewer_with_profile("apollo@example.com")
        ok(api, catalog["Babe"], 600, at=0)
        yield api


def test_persisted_query_link_registers_once_then_sends_hashes(
    live_url: str, viewer: Api, catalog: dict[str, int]
) -> None:
    assert viewer.token
    result = apollo("persisted-queries", live_url, viewer.token, catalog["Babe"])
    steps = [
        (s["operationName"], s["method"], s["withDocument"], s["withHash"], s["status"])
        for s in result["sent"]
    ]
    assert steps == [
        # Unknown hash: PERSISTED_QUERY_NOT_FOUND (a 404 to a graphql-response+json client)...
        ("ContinueWatching", "GET", False, True, 404),
        # ...so the link sends the document with its hash, which registers it...
        ("ContinueWatching", "POST", True, True, 200),
        # ...and from then on the hash alone, by GET.
        ("ContinueWatching", "GET", False, True, 200),
        ("UpdateProgress", "POST", False, True, 404),
        ("UpdateProgress", "POST", True, True, 200),
    ]
    # A signed-in viewer's answer is for no shared cache.
    assert result["sent"][2]["cacheControl"] == "private, no-store"
    assert result["first"] == result["second"]
    assert result["second"]["continueWatching"][0]["video"]["title"] == "Babe"
    assert result["mutated"]["updateProgress"]["positionSeconds"] == 10


def test_progress_mutation_updates_cached_continue_watching_without_refetch(
    live_url: str, viewer: Api, catalog: dict[str, int]
) -> None:
    assert viewer.token
    result = apollo("normalized-cache", live_url, viewer.token, catalog["Babe"])
    assert [s["operationName"] for s in result["sent"]] == ["ContinueWatching", "UpdateProgress"]
    before = result["before"]["continueWatching"][0]
    after = result["after"]["continueWatching"][0]
    assert before["progress"]["positionSeconds"] == 600
    # The heartbeat answered the same Progress object the row holds: the cache updated it.
    assert result["mutated"]["updateProgress"]["id"] == before["progress"]["id"]
    assert after["progress"]["positionSeconds"] == 42
    assert after["progress"]["percentComplete"] == 42
    assert after["id"] == before["id"]
    assert f"Progress:{before['progress']['id']}" in result["cacheKeys"]
    assert f"ContinueWatchingItem:{before['id']}" in result["cacheKeys"]
