"""What the viewing store keeps: per-episode progress and each title's standing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

MOVIE = 0  # the episode id of a movie's progress: keys are never NULL


class TitleStateKind(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


# Where the kinds part, as fractions of the duration watched (viewing/rules.py applies them;
# personalization reads "started" the same way).
COMPLETED_ABOVE = 0.95
STARTED_FROM = 0.05


@dataclass(frozen=True, slots=True)
class EpisodeSlot:
    """An episode of a series in viewing order (season, then episode number)."""

    episode_id: int
    duration_seconds: float


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    """One heartbeat from a player, as accepted (already validated)."""

    profile_id: UUID
    video_id: int
    episode_id: int  # MOVIE for movies
    position_seconds: float
    duration_seconds: float
    client_timestamp: datetime
    device_id: str

    def order_key(self) -> tuple[datetime, str, float]:
        """Last write wins by client time; device and position break ties deterministically."""
        return (self.client_timestamp, self.device_id, self.position_seconds)

    def as_stored(self) -> Progress:
        """The progress this update leaves stored once it has landed."""
        return Progress(
            video_id=self.video_id,
            episode_id=self.episode_id,
            position_seconds=self.position_seconds,
            duration_seconds=self.duration_seconds,
            client_timestamp=self.client_timestamp.astimezone(UTC),
            device_id=self.device_id,
        )


@dataclass(frozen=True, slots=True)
class Applied:
    """What a heartbeat changed: its own progress row, the title's standing, both or neither
    (an older update changes nothing). True when it changed anything."""

    progress: bool
    title: bool

    def __bool__(self) -> bool:
        return self.progress or self.title


@dataclass(frozen=True, slots=True)
class Progress:
    video_id: int
    episode_id: int
    position_seconds: float
    duration_seconds: float
    client_timestamp: datetime
    device_id: str

    @property
    def fraction(self) -> float:
        return min(1.0, self.position_seconds / self.duration_seconds)


@dataclass(frozen=True, slots=True)
class TitleState:
    """Where a profile stands with a title; a series points at the episode to play."""

    video_id: int
    episode_id: int  # MOVIE for movies
    position_seconds: float
    duration_seconds: float
    state: TitleStateKind
    client_timestamp: datetime
    device_id: str
    hidden_at: datetime | None = None

    @property
    def fraction(self) -> float:
        if self.duration_seconds <= 0:
            return 0.0
        return min(1.0, self.position_seconds / self.duration_seconds)

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None and self.hidden_at >= self.client_timestamp


@dataclass(frozen=True, slots=True)
class WatchFeedback:
    """One profile's viewing of one title, summed up: the viewing half of training feedback."""

    profile_id: UUID
    video_id: int
    watched: float  # titles' worth: each episode's (or the movie's) fraction, capped at 1, summed
    completed: bool  # the title's standing is COMPLETED
    at: datetime  # the newest heartbeat or standing of the title
