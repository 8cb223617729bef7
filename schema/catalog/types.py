"""Catalog types: Video, Season, Episode, entities other domains add their fields to.

Each entity is the catalog's part plus the parts other domains contribute (``VideoViewing``,
``VideoPersonalization``, ``EpisodeViewing``): the merged schema serves the combined type, and
each subgraph serves the part its domain defines (``schema/subgraphs.py``). Fields follow
the bases' order, so the catalog's lead the type as they always have.
"""

from __future__ import annotations

import strawberry

from core import records
from resolvers import catalog
from schema.context import Info
from schema.directives import field
from schema.federation import entity
from schema.personalization.types import VideoPersonalization
from schema.relay import Connection
from schema.viewing.types import EpisodeViewing, VideoViewing

# The catalog's own enum, exposed as it is rather than restated here.
VideoType = records.VideoType
strawberry.enum(VideoType, name="VideoType")


@strawberry.type
class EpisodeCatalog:
    id: strawberry.ID
    episode_number: int
    title: str
    duration_minutes: int | None
    description: str

    record: strawberry.Private[records.Episode]


@entity(key="id")
@strawberry.type
class Episode(EpisodeCatalog, EpisodeViewing):
    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Episode | None:
        found = await catalog.visible_episode(info.context, id)
        return cls.from_record(found) if found else None

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


@entity(key="id")
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
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Season | None:
        found = await catalog.visible_season(info.context, id)
        return cls.from_record(found) if found else None

    @classmethod
    def from_record(cls, season: records.Season) -> Season:
        return cls(
            id=strawberry.ID(str(season.id)),
            season_number=season.season_number,
            title=season.title,
            record=season,
        )


@strawberry.type
class VideoCatalog:
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


@entity(key="id")
@strawberry.type
class Video(VideoCatalog, VideoViewing, VideoPersonalization):
    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Video | None:
        """Like ``video(id)``: null when missing or above the profile's maturity."""
        found = await catalog.video(info.context, id)
        return cls.from_record(found) if found else None

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
