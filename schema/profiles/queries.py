"""Profile queries."""

from __future__ import annotations

import strawberry

from resolvers import profiles
from schema.context import Info
from schema.directives import field
from schema.profiles.types import Profile


@strawberry.type
class ProfilesQuery:
    @field(roles=[], description="One of the signed-in account's profiles.")
    async def profile(self, info: Info, id: strawberry.ID) -> Profile:
        return Profile.from_record(await profiles.owned_profile(info.context, id))
