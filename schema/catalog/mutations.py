"""Staff edits of the catalog (content_admin, admin)."""

from __future__ import annotations

import dataclasses

import strawberry

from auth.roles import Role
from resolvers import catalog
from schema.catalog.types import Video, VideoType
from schema.context import Info
from schema.directives import mutation

CATALOG_EDITORS = [Role.CONTENT_ADMIN, Role.ADMIN]


@strawberry.input
class VideoInput:
    title: str | None = None
    type: VideoType | None = None
    release_year: int | None = None
    duration_minutes: int | None = None
    rating: str | None = strawberry.field(default=None, description="G, PG, ..., TV-MA.")
    genres: list[str] | None = None
    description: str | None = None
    poster_url: str | None = None
    backdrop_url: str | None = None

    def values(self) -> dict[str, object]:
        fields = dataclasses.asdict(self)
        if self.type is not None:
            fields["type"] = self.type.value
        return fields


@strawberry.type
class CatalogMutation:
    @mutation(roles=CATALOG_EDITORS)
    async def create_video(self, info: Info, input: VideoInput) -> Video:
        return Video.from_record(await catalog.create_video(info.context, input.values()))

    @mutation(roles=CATALOG_EDITORS)
    async def update_video(self, info: Info, id: strawberry.ID, input: VideoInput) -> Video:
        return Video.from_record(await catalog.update_video(info.context, id, input.values()))

    @mutation(roles=CATALOG_EDITORS)
    async def delete_video(self, info: Info, id: strawberry.ID) -> bool:
        return await catalog.delete_video(info.context, id)
