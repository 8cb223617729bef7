"""A regional BFF: the API under uvicorn with its region's settings, as our child."""

from __future__ import annotations

import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from server.processes import HOST, ChildServer, exchange

ROOT = Path(__file__).resolve().parents[2]  # where `server.app` imports from
READY_TIMEOUT_S = 90.0  # three of them import at once on a small machine
STOP_TIMEOUT_S = 15.0
READYZ_REQUEST = f"GET /readyz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()


def bff_server(
    region: str,
    port: int,
    env: Mapping[str, str],
    log: Path,
    *,
    database_url: str,
    catalog_database_url: str | None,
    workers: int = 1,
) -> ChildServer:
    """The region's BFF on port: writes (and everything but catalog reads) to database_url,
    catalog reads to catalog_database_url when given (the replica)."""
    argv = [sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory"]
    argv += ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    argv += ["--proxy-headers", "--log-level", "warning", "--no-access-log"]
    argv += ["--timeout-worker-healthcheck", "30"]  # as `flix serve` (server/cli/serve.py)
    region_env = {**env, "FLIX_REGION": region, "FLIX_DATABASE_URL": database_url}
    region_env.pop("FLIX_CATALOG_DATABASE_URL", None)
    if catalog_database_url:
        region_env["FLIX_CATALOG_DATABASE_URL"] = catalog_database_url
    if workers == 1:  # one process counts alone; several share a metrics folder of their own
        region_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return ChildServer(
        name=f"BFF {region}",
        argv=argv,
        log=log,
        cwd=ROOT,
        port=port,
        ready=lambda: exchange(port, READYZ_REQUEST).startswith(b"HTTP/1.1 200"),
        stop_signal=signal.SIGTERM,
        env=region_env,
        ready_timeout=READY_TIMEOUT_S,
        stop_timeout=STOP_TIMEOUT_S,
    )
