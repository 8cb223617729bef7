"""Recording progress: work out the title's standing, store both, tell the event log.

The request path and the replay path both come through here, so a replayed event lands
exactly as the original request did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from core.viewing_records import Applied, EpisodeSlot, ProgressUpdate
from datasources import catalog
from datasources.events import EventLog, Outgoing, Stream, message_id
from datasources.viewing.store import ViewingStore
from viewing.rules import title_state_after

Outcome = TypeVar("Outcome")  # what a write says it changed; true when it changed anything


def progress_event(update: ProgressUpdate, country: str) -> dict[str, Any]:
    return {
        "kind": "progress",
        "profile_id": str(update.profile_id),
        "country": country,
        "video_id": update.video_id,
        "episode_id": update.episode_id,
        "position_seconds": update.position_seconds,
        "duration_seconds": update.duration_seconds,
        "client_timestamp": update.client_timestamp.isoformat(),
        "device_id": update.device_id,
    }


def update_from_event(payload: dict[str, Any]) -> ProgressUpdate:
    return ProgressUpdate(
        profile_id=UUID(payload["profile_id"]),
        video_id=int(payload["video_id"]),
        episode_id=int(payload["episode_id"]),
        position_seconds=float(payload["position_seconds"]),
        duration_seconds=float(payload["duration_seconds"]),
        client_timestamp=datetime.fromisoformat(payload["client_timestamp"]),
        device_id=str(payload["device_id"]),
    )


async def record(
    store: ViewingStore,
    update: ProgressUpdate,
    slots: Sequence[EpisodeSlot],
    events: EventLog | None = None,
    country: str = "",
) -> Applied:
    """Store the update (last write wins), saying what it changed; its event goes to the log
    if it changed anything.

    ``slots`` are the series' episodes in viewing order (``datasources.catalog.episode_slots``;
    a request has them from its loader), empty for a movie.
    """
    title = title_state_after(update, slots)
    payload = progress_event(update, country)
    return await _logged(
        store, events, "progress", payload, lambda event: store.apply(update, title, event)
    )


async def hide(
    store: ViewingStore,
    profile_id: UUID,
    video_id: int,
    at: datetime,
    events: EventLog | None = None,
) -> bool:
    payload = {
        "kind": "hide",
        "profile_id": str(profile_id),
        "video_id": video_id,
        "at": at.isoformat(),
    }
    return await _logged(
        store, events, "hide", payload, lambda event: store.hide(profile_id, video_id, at, event)
    )


async def _logged(
    store: ViewingStore,
    events: EventLog | None,
    topic: str,
    payload: dict[str, Any],
    write: Callable[[Outgoing | None], Awaitable[Outcome]],
) -> Outcome:
    """Run ``write``, and send its event to the log if it changed anything: queued in the
    write's own transaction where the store can (the relay publishes it after COMMIT, in
    order with the others), else published once the write has landed. No ``events``: a
    replay, whose events are in the log already."""
    if events is None:
        return await write(None)
    msg_id = message_id(*payload.values())
    if store.queues_events:
        return await write(events.outgoing(Stream.VIEWING, topic, payload, msg_id))
    landed = await write(None)
    if landed:
        await events.publish(Stream.VIEWING, topic, payload, msg_id)
    return landed


async def replay(
    store: ViewingStore,
    engine: AsyncEngine,
    events: EventLog,
    *,
    since: datetime | None = None,
    from_sequence: int | None = None,
) -> int:
    """Re-apply VIEWING events to the store; idempotent, since every write is last-write-wins.

    Each series' episodes are read once per run, however many events it has.
    """
    slots_by_series: dict[int, list[EpisodeSlot]] = {}
    applied = 0
    async for event in events.read(Stream.VIEWING, since=since, from_sequence=from_sequence):
        payload = (await events.open(event)).payload
        if "profile_id" not in payload:
            continue  # an erased profile's: its fields are sealed for good, nothing to restore
        if payload.get("kind") == "progress":
            update = update_from_event(payload)
            slots: list[EpisodeSlot] = []
            if update.episode_id:
                if update.video_id not in slots_by_series:
                    found = await catalog.episode_slots(engine, [update.video_id])
                    slots_by_series[update.video_id] = found.get(update.video_id, [])
                slots = slots_by_series[update.video_id]
            await record(store, update, slots)
        elif payload.get("kind") == "hide":
            at = datetime.fromisoformat(payload["at"])
            await hide(store, UUID(payload["profile_id"]), int(payload["video_id"]), at)
        applied += 1
    return applied
