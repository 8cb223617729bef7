"""Viewing mutations: progress heartbeats, hiding, playback telemetry."""

from __future__ import annotations

import strawberry

from resolvers import playback_events, progress
from schema.context import Info
from schema.directives import mutation
from schema.viewing.types import PlaybackEventInput, Progress, ProgressInput


@strawberry.type
class ViewingMutation:
    @mutation(roles=[], description="Record where playback is; the newest clientTimestamp wins.")
    async def update_progress(self, info: Info, input: ProgressInput) -> Progress:
        stored = await progress.update_progress(
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
        return await progress.hide_from_continue_watching(info.context, video_id)

    @mutation(roles=[], description="Player telemetry (QoE); answers the number accepted.")
    async def report_playback_events(self, info: Info, events: list[PlaybackEventInput]) -> int:
        batch = [
            playback_events.PlaybackEvent(
                type=event.type.value,
                video_id=event.video_id,
                episode_id=event.episode_id,
                at=event.at,
                playback_session_id=event.playback_session_id,
                position_seconds=event.position_seconds,
                bitrate_kbps=event.bitrate_kbps,
                duration_ms=event.duration_ms,
                error_code=event.error_code,
                message=event.message,
            )
            for event in events
        ]
        return await playback_events.report_playback_events(info.context, batch)
