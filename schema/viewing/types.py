"""Viewing types: progress, Continue Watching items, playback telemetry input."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from datasources.viewing.records import Progress as ProgressRecord
from datasources.viewing.records import TitleState, TitleStateKind
from datasources.viewing.rules import COMPLETED_ABOVE
from resolvers import progress
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
    def of(cls, watched: progress.WatchedTitle) -> ContinueWatchingItem:
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


@strawberry.enum
class PlaybackEventType(Enum):
    START = "START"
    FIRST_FRAME = "FIRST_FRAME"
    REBUFFER_START = "REBUFFER_START"
    REBUFFER_END = "REBUFFER_END"
    BITRATE_SWITCH = "BITRATE_SWITCH"
    ERROR = "ERROR"
    END = "END"


@strawberry.input
class PlaybackEventInput:
    type: PlaybackEventType
    video_id: strawberry.ID
    episode_id: strawberry.ID | None = None
    at: datetime
    playback_session_id: str | None = None
    position_seconds: float | None = None
    bitrate_kbps: float | None = None
    duration_ms: float | None = None
    error_code: str | None = None
    message: str | None = None
