"""Personalization queries: My List."""

from __future__ import annotations

import strawberry

from resolvers.personalization import homepage, my_list
from schema.catalog.types import Video
from schema.context import Info
from schema.directives import field
from schema.personalization.types import Homepage, Row
from schema.relay import Connection


@strawberry.type
class PersonalizationQuery:
    @field(
        roles=[],
        experiment=homepage.ROW_ORDER_EXPERIMENT,
        description="The active profile's homepage: rows of titles.",
    )
    async def homepage(
        self, info: Info, rows: int | None = None, items_per_row: int | None = None
    ) -> Homepage:
        order = homepage.row_order(info.context.treatments.get(homepage.ROW_ORDER_EXPERIMENT))
        page = await homepage.homepage(info.context, rows, items_per_row, order)
        return Homepage(rows=[Row.of(row) for row in page.rows], source=page.source)

    @field(roles=[], maturity=True, description="The active profile's list, newest first.")
    async def my_list(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Video]:
        page, request = await my_list.page(info.context, first, after)
        return Connection.of(page, request, Video.from_record)
