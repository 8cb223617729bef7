"""One set of regions for the module: stores, the replica, three BFFs and HAProxy, started
once (about half a minute) with tight health checks, stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from server.processes import EmbeddedServerError, free_port
from server.regions.haproxy import haproxy_binary
from server.regions.topology import Regions, RegionsOptions


def haproxy_missing() -> str | None:
    try:
        haproxy_binary()
    except EmbeddedServerError as error:
        return str(error)
    return None


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
        with Regions(tmp_path_factory.mktemp("regions"), options, lambda _m: None) as running:
            yield running
    finally:
        os.environ.clear()
        os.environ.update(saved)
