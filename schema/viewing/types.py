"""Viewing types: progress, Continue Watching items, playback telemetry input."""

from __future__ import annotations

from datetime import datetime

import strawberry

from core.viewing_records import COMPLETED_ABOVE, TitleState, TitleStateKind
from core.viewing_records import Progress as ProgressRecord
from resolvers import viewing
from schema.catalog.types import Episode, Video


@strawberry.type
class Progress:
    position_seconds: float
    duration_seconds: float
    percent_complete: float
    completed: bool
    updated_at: datetime

    @classmethod
    def of(cls, record: ProgressRecord | TitleState) -> Progress:
        completed = (
            record.state is TitleStateKind.COMPLETED
            if isinstance(record, TitleState)
            else record.fraction > COMPLETED_ABOVE
        )
        return cls(
            position_seconds=record.position_seconds,
            duration_seconds=record.duration_seconds,
            percent_complete=round(record.fraction * 100, 2),
            completed=completed,
            updated_at=record.client_timestamp,
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
            completed=state.state is TitleStateKind.COMPLETED,
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
