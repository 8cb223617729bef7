"""Viewing mutations: progress heartbeats and hiding."""

from __future__ import annotations

import strawberry

from resolvers import viewing
from schema.context import Info
from schema.directives import mutation
from schema.viewing.types import Progress, ProgressInput


@strawberry.type
class ViewingMutation:
    @mutation(roles=[], description="Record where playback is; the newest clientTimestamp wins.")
    async def update_progress(self, info: Info, input: ProgressInput) -> Progress:
        stored = await viewing.update_progress(
            info.context,
            video_id=input.video_id,
            episode_id=input.episode_id,
            position_seconds=input.position_seconds,
            duration_seconds=input.duration_seconds,
            client_timestamp=input.client_timestamp,
            device_id=input.device_id,
        )
        return Progress.of(stored)

    @mutation(roles=[], description="Drop a title from Continue Watching until watched again.")
    async def hide_from_continue_watching(self, info: Info, video_id: strawberry.ID) -> bool:
        return await viewing.hide_from_continue_watching(info.context, video_id)
