"""Viewing mutations: progress heartbeats and hiding."""

from __future__ import annotations

import strawberry

from resolvers import viewing
from resolvers.context import Context
from schema.context import Info
from schema.directives import mutation
from schema.viewing.types import Progress, ProgressInput


async def record_heartbeat(context: Context, heartbeat: ProgressInput) -> Progress:
    """``updateProgress``, executed or planned (``schema/viewing/heartbeat_plan.py``)."""
    stored = await viewing.update_progress(
        context,
        video_id=heartbeat.video_id,
        episode_id=heartbeat.episode_id,
        position_seconds=heartbeat.position_seconds,
        duration_seconds=heartbeat.duration_seconds,
        client_timestamp=heartbeat.client_timestamp,
        device_id=heartbeat.device_id,
    )
    return Progress.of(stored)


@strawberry.type
class ViewingMutation:
    @mutation(roles=[], description="Record where playback is; the newest clientTimestamp wins.")
    async def update_progress(self, info: Info, input: ProgressInput) -> Progress:
        return await record_heartbeat(info.context, input)

    @mutation(roles=[], description="Drop a title from Continue Watching until watched again.")
    async def hide_from_continue_watching(self, info: Info, video_id: strawberry.ID) -> bool:
        return await viewing.hide_from_continue_watching(info.context, video_id)
