"""Viewing queries: Continue Watching and history for the active profile."""

from __future__ import annotations

import strawberry

from resolvers import viewing
from schema.context import Info
from schema.directives import field
from schema.relay import Connection
from schema.viewing.types import ContinueWatchingItem


@strawberry.type
class ViewingQuery:
    @field(roles=[], maturity=True, description="Titles under way, most recent first (max 20).")
    async def continue_watching(
        self, info: Info, first: int | None = None
    ) -> list[ContinueWatchingItem]:
        watched = await viewing.continue_watching(info.context, first)
        return [ContinueWatchingItem.of(item) for item in watched]

    @field(roles=[], maturity=True, description="Titles started or finished, most recent first.")
    async def viewing_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ContinueWatchingItem]:
        page, request = await viewing.viewing_history(info.context, first, after)
        return Connection.of(page, request, ContinueWatchingItem.of)
