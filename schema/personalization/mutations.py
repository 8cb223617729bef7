"""Personalization mutations: the profile's explicit signals."""

from __future__ import annotations

import strawberry

from resolvers.personalization import my_list
from schema.catalog.types import Video
from schema.context import Info
from schema.directives import mutation
from schema.personalization.types import Rating


@strawberry.type
class PersonalizationMutation:
    @mutation(roles=[], description="Add a title to My List (idempotent).")
    async def add_to_my_list(self, info: Info, video_id: strawberry.ID) -> Video:
        return Video.from_record(await my_list.add(info.context, video_id))

    @mutation(roles=[], description="Remove a title from My List (idempotent).")
    async def remove_from_my_list(self, info: Info, video_id: strawberry.ID) -> Video:
        return Video.from_record(await my_list.remove(info.context, video_id))

    @mutation(roles=[], description="Thumbs up or down; NONE clears the rating.")
    async def rate_title(self, info: Info, video_id: strawberry.ID, rating: Rating) -> Video:
        return Video.from_record(await my_list.rate(info.context, video_id, rating))
