"""Viewing types: progress, Continue Watching items, and viewing's parts of Video and Episode."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from core import records
from core.viewing_records import COMPLETED_ABOVE, TitleState
from core.viewing_records import Progress as ProgressRecord
from resolvers import viewing
from schema.context import Info

if TYPE_CHECKING:
    from schema.catalog.types import Episode, Video

# The catalog's entities combine these parts, so viewing names them lazily to avoid a cycle.
EpisodeRef = Annotated["Episode", strawberry.lazy("schema.catalog.types")]
VideoRef = Annotated["Video", strawberry.lazy("schema.catalog.types")]


def _episode(found: records.Episode | None) -> Episode | None:
    from schema.catalog.types import Episode

    return Episode.from_record(found) if found else None


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
        description="Stable cache key: `profile:video:episode` for an episode's progress,"
        " `profile:video` for a movie's and for a title's standing as a whole."
    )
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(viewing.progress_id(info.context, self.record))

    @strawberry.field(
        description="The title this is progress in: ask for its `progress` in the same"
        " selection to refresh a series' standing along with an episode's."
    )
    async def video(self, info: Info) -> VideoRef:
        from schema.catalog.types import Video

        return Video.from_record(await viewing.progress_video(info.context, self.record))

    @strawberry.field(
        description="The episode this is progress in; on Video, the one the series stands at"
        " (after a finished episode, the next one at 0:00). Null for a movie."
    )
    async def episode(self, info: Info) -> EpisodeRef | None:
        return _episode(await viewing.progress_episode(info.context, self.record))

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
class EpisodeViewing:
    """Viewing's part of Episode."""

    record: strawberry.Private[records.Episode]

    @strawberry.field(description="The active profile's progress in this episode.")
    async def progress(self, info: Info) -> Progress | None:
        found = await viewing.episode_progress(info.context, self.record)
        return Progress.of(found) if found else None


@strawberry.type
class VideoViewing:
    """Viewing's part of Video."""

    record: strawberry.Private[records.Video]

    @strawberry.field(description="The active profile's standing with this title.")
    async def progress(self, info: Info) -> Progress | None:
        found = await viewing.title_progress(info.context, self.record)
        return Progress.of(found) if found else None

    @strawberry.field(
        description="The episode Play starts for the active profile: the one under way, the one"
        " after the last finished, or the first; null for a movie and a finished series."
    )
    async def up_next(self, info: Info) -> EpisodeRef | None:
        return _episode(await viewing.up_next(info.context, self.record))


@strawberry.type
class ContinueWatchingItem:
    progress: Progress = strawberry.field(
        description="The title's standing, the same object as `Video.progress` (one cache"
        " entry): a heartbeat's answer updates it without a refetch."
    )
    video: VideoRef
    episode: EpisodeRef | None
    position_seconds: float
    duration_seconds: float
    percent_complete: float
    completed: bool
    updated_at: datetime

    @strawberry.field(description="Stable cache key: `profile:video`.")
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(viewing.title_id(info.context, self.progress.record.video_id))

    @classmethod
    def of(cls, watched: viewing.WatchedTitle) -> ContinueWatchingItem:
        from schema.catalog.types import Video

        state = watched.state
        return cls(
            progress=Progress.of(state),
            video=Video.from_record(watched.video),
            episode=_episode(watched.episode),
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
