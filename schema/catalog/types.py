"""Catalog types: Video, Season, Episode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from core import records
from resolvers import catalog, viewing
from resolvers.personalization import my_list
from schema.context import Info
from schema.directives import field
from schema.relay import Connection

if TYPE_CHECKING:
    from schema.personalization.types import Rating
    from schema.viewing.types import Progress

# Viewing builds on the catalog, so the catalog names its types lazily to avoid a cycle.
ProgressType = Annotated["Progress", strawberry.lazy("schema.viewing.types")]
RatingType = Annotated["Rating", strawberry.lazy("schema.personalization.types")]


def _progress_type() -> type[Progress]:
    from schema.viewing.types import Progress

    return Progress


# The catalog's own enum, exposed as it is rather than restated here.
VideoType = records.VideoType
strawberry.enum(VideoType, name="VideoType")


@strawberry.type
class Episode:
    id: strawberry.ID
    episode_number: int
    title: str
    duration_minutes: int | None
    description: str

    record: strawberry.Private[records.Episode]

    @strawberry.field(description="The active profile's progress in this episode.")
    async def progress(self, info: Info) -> ProgressType | None:
        found = await viewing.episode_progress(info.context, self.record)
        return _progress_type().of(found) if found else None

    @classmethod
    def from_record(cls, episode: records.Episode) -> Episode:
        return cls(
            id=strawberry.ID(str(episode.id)),
            episode_number=episode.episode_number,
            title=episode.title,
            duration_minutes=episode.duration_minutes,
            description=episode.description,
            record=episode,
        )


@strawberry.type
class Season:
    id: strawberry.ID
    season_number: int
    title: str
    record: strawberry.Private[records.Season]

    @strawberry.field
    async def episodes(self, info: Info) -> list[Episode]:
        return [Episode.from_record(e) for e in await catalog.episodes(info.context, self.record)]

    @classmethod
    def from_record(cls, season: records.Season) -> Season:
        return cls(
            id=strawberry.ID(str(season.id)),
            season_number=season.season_number,
            title=season.title,
            record=season,
        )


@strawberry.type
class Video:
    id: strawberry.ID
    title: str
    type: VideoType
    release_year: int | None
    duration_minutes: int | None
    rating: str = strawberry.field(description="Display rating, such as PG-13 or TV-MA.")
    maturity_level: int = strawberry.field(description="1 (all ages) to 5 (adults only).")
    genres: list[str]
    description: str
    backdrop_url: str | None
    record: strawberry.Private[records.Video]

    @field(experiment=catalog.ARTWORK_EXPERIMENT, description="The title's poster image.")
    async def poster_url(self, info: Info) -> str | None:
        return catalog.poster(self.record, info.context.treatments.get(catalog.ARTWORK_EXPERIMENT))

    @strawberry.field(description="Seasons of a series, in order; empty for a movie.")
    async def seasons(self, info: Info) -> list[Season]:
        return [Season.from_record(s) for s in await catalog.seasons(info.context, self.record)]

    @strawberry.field(description="The active profile's standing with this title.")
    async def progress(self, info: Info) -> ProgressType | None:
        found = await viewing.title_progress(info.context, self.record)
        return _progress_type().of(found) if found else None

    @strawberry.field(
        description="The episode Play starts for the active profile: the one under way, the one"
        " after the last finished, or the first; null for a movie and a finished series."
    )
    async def up_next(self, info: Info) -> Episode | None:
        found = await viewing.up_next(info.context, self.record)
        return Episode.from_record(found) if found else None

    @field(roles=[], maturity=True, description="More like this, most similar first.")
    async def similar(self, info: Info, first: int = 12) -> list[Video]:
        return [
            Video.from_record(v) for v in await catalog.similar(info.context, self.record, first)
        ]

    @strawberry.field(description="Whether the title is on the active profile's list.")
    async def in_my_list(self, info: Info) -> bool:
        return await my_list.in_my_list(info.context, self.record)

    @strawberry.field(description="The active profile's thumbs: THUMBS_UP, THUMBS_DOWN or NONE.")
    async def my_rating(self, info: Info) -> RatingType:
        return await my_list.my_rating(info.context, self.record)

    @classmethod
    def from_record(cls, video: records.Video) -> Video:
        return cls(
            id=strawberry.ID(str(video.id)),
            title=video.title,
            type=video.type,
            release_year=video.release_year,
            duration_minutes=video.duration_minutes,
            rating=video.rating,
            maturity_level=video.maturity_level,
            genres=list(video.genres),
            description=video.description,
            backdrop_url=video.backdrop_url,
            record=video,
        )


VideoConnection = Connection[Video]


def video_connection(result: catalog.VideoPage) -> Connection[Video]:
    return Connection.of(result.page, result.request, Video.from_record)
