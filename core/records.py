"""Plain records the repositories return: no ORM state, no GraphQL, safe to share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar
from uuid import UUID

from core.plans import Plan

T = TypeVar("T")


class VideoType(StrEnum):
    """What a title is (``videos.type``; GraphQL's ``VideoType``): a series has episodes."""

    MOVIE = "MOVIE"
    SERIES = "SERIES"


@dataclass(frozen=True, slots=True)
class Video:
    id: int
    title: str
    type: VideoType
    release_year: int | None
    duration_minutes: int | None
    rating: str
    maturity_level: int
    genres: tuple[str, ...]
    description: str
    poster_url: str | None
    backdrop_url: str | None
    popularity: float

    @classmethod
    def from_row(cls, row: Any) -> Video:
        return cls(
            id=row.id,
            title=row.title,
            type=VideoType(row.type),
            release_year=row.release_year,
            duration_minutes=row.duration_minutes,
            rating=row.rating,
            maturity_level=row.maturity_level,
            genres=tuple(row.genres),
            description=row.description,
            poster_url=row.poster_url,
            backdrop_url=row.backdrop_url,
            popularity=row.popularity,
        )


@dataclass(frozen=True, slots=True)
class Season:
    id: int
    video_id: int
    season_number: int
    title: str


@dataclass(frozen=True, slots=True)
class Episode:
    id: int
    season_id: int
    video_id: int
    episode_number: int
    title: str
    duration_minutes: int | None
    description: str


@dataclass(frozen=True, slots=True)
class Account:
    id: UUID
    email: str
    country: str
    plan: Plan
    created_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Account:
        return cls(
            id=row["id"],
            email=row["email"],
            country=row["country"],
            plan=Plan(row["plan"]),
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Profile:
    id: UUID
    account_id: UUID
    name: str
    is_kids: bool
    maturity_level: int
    language: str
    avatar_url: str | None
    # Whether the profile has a PIN; the PIN's hash itself never leaves datasources.
    locked: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list plus the size of the whole list."""

    items: list[T]
    total: int
