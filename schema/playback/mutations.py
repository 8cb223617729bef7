"""Playback mutations: the players' telemetry (QoE)."""

from __future__ import annotations

import strawberry

from resolvers.playback import events as playback_events
from schema.context import Info
from schema.directives import mutation
from schema.playback.types import PlaybackEventInput


@strawberry.type
class PlaybackMutation:
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
