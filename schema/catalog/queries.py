"""Catalog queries: video, videos, search, genres."""

from __future__ import annotations

import strawberry

from resolvers import catalog
from schema.catalog.types import Video, video_connection
from schema.context import Info
from schema.directives import field
from schema.relay import Connection


@strawberry.type
class CatalogQuery:
    @field(roles=[], maturity=True, description="A title; null if missing or above maturity.")
    async def video(self, info: Info, id: strawberry.ID) -> Video | None:
        found = await catalog.video(info.context, id)
        return Video.from_record(found) if found else None

    @field(roles=[], maturity=True, description="Browse titles, most popular first.")
    async def videos(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        genre: str | None = None,
    ) -> Connection[Video]:
        return video_connection(await catalog.videos(info.context, first, after, genre))

    @field(roles=[], maturity=True, description="Titles matching words or near spellings.")
    async def search(
        self, info: Info, query: str, first: int | None = None, after: str | None = None
    ) -> Connection[Video]:
        return video_connection(await catalog.search(info.context, query, first, after))

    @field(roles=[], description="Genres that have titles the active profile may watch.")
    async def genres(self, info: Info) -> list[str]:
        return await catalog.genres(info.context)
