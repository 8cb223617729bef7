"""Personalization types: thumbs, the homepage, and personalization's part of Video."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from core import records
from core.thumbs import Thumbs
from resolvers import catalog
from resolvers.personalization import homepage, my_list
from schema.context import Info
from schema.directives import field

if TYPE_CHECKING:
    from schema.catalog.types import Video

# The catalog's Video combines the part below, so personalization names it lazily.
VideoRef = Annotated["Video", strawberry.lazy("schema.catalog.types")]


def _videos(found: list[records.Video]) -> list[Video]:
    from schema.catalog.types import Video

    return [Video.from_record(video) for video in found]


# The domains' own enums, exposed as they are rather than restated here.
Rating = Thumbs
strawberry.enum(Rating, name="Rating")
strawberry.enum(homepage.RowKind, name="RowKind")


strawberry.enum(
    homepage.PageSource,
    name="PageSource",
    description="Where a homepage came from; anything but PERSONALIZED is degraded.",
)


@strawberry.type
class VideoPersonalization:
    """Personalization's part of Video: similar titles, My List and thumbs."""

    record: strawberry.Private[records.Video]

    @field(roles=[], maturity=True, description="More like this, most similar first.")
    async def similar(self, info: Info, first: int = 12) -> list[VideoRef]:
        return _videos(await catalog.similar(info.context, self.record, first))

    @strawberry.field(description="Whether the title is on the active profile's list.")
    async def in_my_list(self, info: Info) -> bool:
        return await my_list.in_my_list(info.context, self.record)

    @strawberry.field(description="The active profile's thumbs: THUMBS_UP, THUMBS_DOWN or NONE.")
    async def my_rating(self, info: Info) -> Rating:
        return await my_list.my_rating(info.context, self.record)


@strawberry.type
class Row:
    id: strawberry.ID
    kind: homepage.RowKind
    title: str
    videos: strawberry.Private[list[records.Video]]

    @field(maturity=True, description="The row's titles, best first.")
    async def items(self) -> list[VideoRef]:
        return _videos(self.videos)

    @classmethod
    def of(cls, row: homepage.Row) -> Row:
        return cls(id=strawberry.ID(row.id), kind=row.kind, title=row.title, videos=row.items)


@strawberry.type
class Homepage:
    rows: list[Row]
    source: homepage.PageSource

    @strawberry.field(description="Stable cache key: the profile's id (one homepage each).")
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(str(info.context.viewer.require_profile().id))
