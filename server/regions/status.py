"""What `flix regions status` reports: each region as HAProxy sees it, and the replica's lag."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

from server.processes import HOST
from server.regions.haproxy import stats
from server.regions.lag import replication_lag_seconds
from server.regions.layout import Layout, Running


async def _lag(port: int) -> float | None:
    engine = create_async_engine(f"postgresql+asyncpg://postgres@{HOST}:{port}/flix")
    try:
        return await replication_lag_seconds(engine)
    finally:
        await engine.dispose()


def regions_status(layout: Layout, running: Running) -> dict[str, Any]:
    regions = [asdict(health) for health in stats(layout.haproxy_socket)]
    for health in regions:
        health["port"] = running.regions.get(health["region"])
        health["database"] = running.region_database.get(health["region"])
        health["edge"] = running.edges.get(health["region"])
    replica: dict[str, Any] | None = None
    if running.replica_port is not None:
        try:
            lag: float | None = asyncio.run(_lag(running.replica_port))
            replica = {"port": running.replica_port, "lag_seconds": lag, "reachable": True}
        except OSError as error:
            replica = {"port": running.replica_port, "reachable": False, "error": str(error)}
    return {
        "balancer": f"http://{HOST}:{running.port}",
        "regions": regions,
        "primary_port": running.primary_port,
        "promoted": running.promoted,
        "replica": replica,
    }
