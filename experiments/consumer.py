"""Keeping experiment metrics current: per-profile sums from the PLAYBACK and VIEWING streams.

Each event adds to the rows of the experiments the profile was exposed to before the
event happened. Delivery is at least once, so a redelivered event can count twice; the
window for that is a lost acknowledgement (a batch's, when a worker dies mid-batch), rare
enough not to move a per-profile mean.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from core.telemetry import PlaybackEventType
from core.viewing_records import COMPLETED_ABOVE
from datasources import experiments as store


def playback_increments(payload: dict[str, Any]) -> dict[str, float]:
    """What one QoE event adds to a profile's experiment metrics."""
    kind = payload.get("type")
    duration_ms = float(payload.get("duration_ms") or 0.0)
    if kind == PlaybackEventType.START:
        return {"starts": 1}
    if kind == PlaybackEventType.FIRST_FRAME and duration_ms > 0:
        return {"first_frame_ms_total": duration_ms, "first_frames": 1}
    if kind == PlaybackEventType.REBUFFER_END and duration_ms > 0:
        return {"rebuffer_seconds": duration_ms / 1000}
    if kind == PlaybackEventType.END and duration_ms > 0:
        return {"watch_seconds": duration_ms / 1000}
    return {}


def viewing_increments(payload: dict[str, Any]) -> dict[str, float]:
    if payload.get("kind") != "progress":
        return {}
    if payload["position_seconds"] > COMPLETED_ABOVE * payload["duration_seconds"]:
        return {"completions": 1}
    return {}


# An erased profile's events carry no profile_id (its key is gone): nothing to add to, as
# erasure left its experiment rows anonymous.


async def on_playback_event(engine: AsyncEngine, payload: dict[str, Any]) -> None:
    if "profile_id" not in payload:
        return
    if increments := playback_increments(payload):
        at = datetime.fromisoformat(payload["at"])
        await store.add_to_metrics(engine, UUID(payload["profile_id"]), at, increments)


async def on_viewing_event(engine: AsyncEngine, payload: dict[str, Any]) -> None:
    if "profile_id" not in payload:
        return
    if increments := viewing_increments(payload):
        at = datetime.fromisoformat(payload["client_timestamp"])
        await store.add_to_metrics(engine, UUID(payload["profile_id"]), at, increments)
