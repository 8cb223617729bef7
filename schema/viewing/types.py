"""Viewing types: progress, Continue Watching items, playback telemetry input."""

from __future__ import annotations

from datetime import datetime

import strawberry

from core.viewing_records import COMPLETED_ABOVE, TitleState
from core.viewing_records import Progress as ProgressRecord
from resolvers import viewing
from schema.catalog.types import Episode, Video
from schema.context import Info


@strawberry.type(
    description="Progress in an episode or a movie; on Video, the title's standing as a whole."
)
class Progress:
    position_seconds: float
    duration_seconds: float
    percent_complete: float
    completed: bool = strawberry.field(
        description=f"More than {COMPLETED_ABOVE:.0%} watched; on Video, a series counts once"
        " its last episode does."
    )
    updated_at: datetime
    record: strawberry.Private[ProgressRecord | TitleState]

    @strawberry.field(
        description="The episode this is progress in; on Video, the one the series stands at"
        " (after a finished episode, the next one at 0:00). Null for a movie."
    )
    async def episode(self, info: Info) -> Episode | None:
        found = await viewing.progress_episode(info.context, self.record)
        return Episode.from_record(found) if found else None

    @classmethod
    def of(cls, record: ProgressRecord | TitleState) -> Progress:
        return cls(
            position_seconds=record.position_seconds,
            duration_seconds=record.duration_seconds,
            percent_complete=round(record.fraction * 100, 2),
            completed=viewing.completed(record),
            updated_at=record.client_timestamp,
            record=record,
        )


@strawberry.type
class ContinueWatchingItem:
    video: Video
    episode: Episode | None
    position_seconds: float
    duration_seconds: float
    percent_complete: float
    completed: bool
    updated_at: datetime

    @classmethod
    def of(cls, watched: viewing.WatchedTitle) -> ContinueWatchingItem:
        state = watched.state
        return cls(
            video=Video.from_record(watched.video),
            episode=Episode.from_record(watched.episode) if watched.episode else None,
            position_seconds=state.position_seconds,
            duration_seconds=state.duration_seconds,
            percent_complete=round(state.fraction * 100, 2),
            completed=viewing.completed(state),
            updated_at=state.client_timestamp,
        )


@strawberry.input
class ProgressInput:
    video_id: strawberry.ID
    episode_id: strawberry.ID | None = None
    position_seconds: float
    duration_seconds: float
    client_timestamp: datetime
    device_id: str
