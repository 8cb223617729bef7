"""Personalization types: thumbs and the homepage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from core import records
from core.thumbs import Thumbs
from resolvers.personalization import homepage
from schema.directives import field

if TYPE_CHECKING:
    from schema.catalog.types import Video


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
class Row:
    id: strawberry.ID
    kind: homepage.RowKind
    title: str
    videos: strawberry.Private[list[records.Video]]

    @field(maturity=True, description="The row's titles, best first.")
    async def items(self) -> list[Annotated[Video, strawberry.lazy("schema.catalog.types")]]:
        from schema.catalog.types import Video

        return [Video.from_record(video) for video in self.videos]

    @classmethod
    def of(cls, row: homepage.Row) -> Row:
        return cls(id=strawberry.ID(row.id), kind=row.kind, title=row.title, videos=row.items)


@strawberry.type
class Homepage:
    rows: list[Row]
    source: homepage.PageSource
