"""Hive Gateway as our child: the federation gateway in front of the subgraphs.

It serves the committed ``supergraph.graphql`` at ``/graphql`` and routes each subgraph to
``/subgraphs/<name>/graphql`` on the Flix server it is given (``server/gateway/`` holds its
configuration and its Node packages, installed by ``scripts/install``).
"""

from __future__ import annotations

import http.client
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from server.processes import HOST, ChildServer, EmbeddedServerError

GATEWAY_DIR = Path(__file__).resolve().parent / "gateway"
_BIN = GATEWAY_DIR / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"
READY_TIMEOUT_S = 60.0  # Node loads a few hundred modules before it answers


def _ready(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/readiness")
        return connection.getresponse().status == 200
    finally:
        connection.close()


def gateway_server(
    subgraphs_url: str,
    port: int,
    log: Path,
    *,
    host: str = HOST,
    env: Mapping[str, str] | None = None,
) -> ChildServer:
    """The gateway on ``host:port``, its subgraphs on the Flix server at ``subgraphs_url``."""
    node = shutil.which("node")
    if node is None:
        raise EmbeddedServerError("the federation gateway needs Node 20 or later on the PATH")
    if not _BIN.is_file():
        raise EmbeddedServerError("Hive Gateway is not installed: run scripts/install")
    return ChildServer(
        name="Hive Gateway",
        argv=[node, str(_BIN), "supergraph", "--host", host, "--port", str(port)],
        log=log,
        cwd=GATEWAY_DIR,  # where it finds gateway.config.mjs
        port=port,
        ready=lambda: _ready(port),
        env={**(env if env is not None else os.environ), "FLIX_SUBGRAPHS_URL": subgraphs_url},
        ready_timeout=READY_TIMEOUT_S,
    )
