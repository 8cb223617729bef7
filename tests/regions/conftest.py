"""One set of regions for the module: stores, the replica, three BFFs with their media edges
and HAProxy, started once (about half a minute) with tight health checks, stopped at the end.
One title has published media (tests/edge's asset: small files standing in for video)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from server.edge import nginx_executable
from server.processes import EmbeddedServerError, free_port
from server.regions import replica
from server.regions.haproxy import haproxy_binary
from server.regions.topology import Regions, RegionsOptions
from tests.edge.conftest import ASSET, publish


def haproxy_missing() -> str | None:
    try:
        haproxy_binary()
    except EmbeddedServerError as error:
        return str(error)
    if nginx_executable() is None:
        return "nginx is not installed (the regions' media edges): apt-get install nginx"
    return None


def publish_title(regions: Regions) -> None:
    """A title playing tests/edge's asset, in place before the BFFs load their catalog."""
    assert regions.primary is not None
    publish(regions.layout.data_dir / "media")  # the media root every region shares
    video_id = replica.sql(
        regions.primary,
        "INSERT INTO videos (title, type, rating, maturity_level)"
        " VALUES ('Played in every region', 'MOVIE', 'PG', 2) RETURNING id",
        database="flix",
    ).splitlines()[0]
    replica.sql(
        regions.primary,
        "INSERT INTO media_assets (video_id, status, duration_seconds, storage_path)"
        f" VALUES ({video_id}, 'ready', 6.0, '{ASSET}')",
        database="flix",
    )


# Tight: a region is marked down within a few hundred milliseconds of failing its checks.
CHECK_MS = 300


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Regions]:
    missing = haproxy_missing()
    if missing:
        pytest.skip(missing)
    saved = dict(os.environ)  # ensure_secrets puts the data folder's secrets into it
    options = RegionsOptions(
        port=free_port(),
        check_ms=CHECK_MS,
        worker=False,  # nothing here needs the consumers or the relay
        extra_env={"FLIX_REGISTRATION_ATTEMPTS": "1000", "FLIX_LOGIN_ATTEMPTS": "1000"},
    )
    try:
        data_dir = tmp_path_factory.mktemp("regions")
        with Regions(data_dir, options, lambda _m: None, publish_title) as running:
            yield running
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def media_video_id(regions: Regions) -> str:
    """The title with media (publish_title)."""
    assert regions.primary is not None
    return replica.sql(
        regions.primary,
        f"SELECT video_id FROM media_assets WHERE storage_path = '{ASSET}'",
        database="flix",
    )
