"""GET /metrics: everything the process registered with prometheus-client.

Metrics name countries, error codes and load: not for the public. With
``FLIX_METRICS_TOKEN`` set, a scraper sends it as a bearer token; without it, only a scraper
on the same host (a loopback client) is let in.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.errors import ErrorCode
from server.middleware import error_body
from server.regions.lag import replication_lag_seconds

_log = logging.getLogger(__name__)

# Set on each scrape of a region that reads its catalog from a replica (one query to it);
# -1 when the replica does not answer. "livemax": of a region's live workers, the worst.
REPLICATION_LAG = Gauge(
    "flix_replication_lag_seconds",
    "How far the catalog replica this region reads is behind the primary.",
    multiprocess_mode="livemax",
)


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # "testclient", a unix socket's name: not a loopback address
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_loopback


def _allowed(request: Request, token: str | None) -> bool:
    """With a token set, it is needed from everyone: behind a reverse proxy on the same host,
    every client would look like loopback. Without one, loopback clients only."""
    if not token:
        return request.client is not None and _is_loopback(request.client.host)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Constant time: the comparison must not tell a prober how much of the token it has.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


def _registry() -> CollectorRegistry:
    """This process's metrics; every worker's, summed, when `flix serve` runs several
    (PROMETHEUS_MULTIPROC_DIR set: prometheus-client's multiprocess mode)."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def metrics_endpoint(token: str | None) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        if not _allowed(request, token):
            message = "Metrics need a loopback client or the metrics token."
            body = error_body(message, ErrorCode.FORBIDDEN)
            return JSONResponse(body, status_code=403)
        await _measure_replication_lag(request)
        return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)

    return metrics


async def _measure_replication_lag(request: Request) -> None:
    stores = getattr(request.app.state, "stores", None)
    replica = getattr(stores, "catalog_replica", None)
    if replica is None:
        return
    try:
        lag = await replication_lag_seconds(replica)
    except Exception:  # an unreachable replica is /readyz's to report; the scrape goes on
        _log.warning("replication lag: the catalog replica did not answer", exc_info=True)
        lag = -1.0
    REPLICATION_LAG.set(0.0 if lag is None else lag)
