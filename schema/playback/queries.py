"""The playback query."""

from __future__ import annotations

import strawberry

from resolvers import playback
from schema.context import Info
from schema.directives import field
from schema.playback.types import DeviceInput, Playback


@strawberry.type
class PlaybackQuery:
    @field(
        roles=[],
        experiment=playback.ABR_EXPERIMENT,
        description="Manifests, renditions, resume point and ABR settings for a title.",
    )
    async def playback(
        self,
        info: Info,
        video_id: strawberry.ID,
        episode_id: strawberry.ID | None = None,
        device: DeviceInput | None = None,
    ) -> Playback:
        given = device or DeviceInput()
        found = await playback.playback(
            info.context,
            info.context.media,
            video_id,
            episode_id,
            playback.Device(given.max_height, given.codecs, given.drm),
        )
        return Playback.of(found)
