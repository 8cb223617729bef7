"""The composed supergraph: no composition errors, committed as composed, same API for clients."""

from __future__ import annotations

import pytest

from server.cli.schema import sdl
from server.cli.supergraph import SUPERGRAPH_PATH, client_facing, compose
from server.gateway_process import GATEWAY_DIR

pytestmark = pytest.mark.skipif(
    not (GATEWAY_DIR / "node_modules").is_dir(), reason="run scripts/install (server/gateway)"
)


def test_the_supergraphs_clients_see_the_merged_schema() -> None:
    composition = compose()
    assert client_facing(composition.api) == client_facing(sdl())


def test_the_committed_supergraph_is_the_composed_one() -> None:
    assert SUPERGRAPH_PATH.read_text(encoding="utf-8") == compose().supergraph
