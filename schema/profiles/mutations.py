"""Profile mutations. Managing profiles is the account owner's; a kids profile cannot."""

from __future__ import annotations

import strawberry

from auth.roles import Role
from resolvers import profiles
from schema.context import Info
from schema.directives import mutation
from schema.profiles.types import CreateProfileInput, Profile, UpdateProfileInput

OWNER = [Role.ACCOUNT_OWNER]


@strawberry.type
class ProfilesMutation:
    @mutation(roles=OWNER)
    async def create_profile(self, info: Info, input: CreateProfileInput) -> Profile:
        return Profile.from_record(await profiles.create_profile(info.context, input.values()))

    @mutation(roles=OWNER)
    async def update_profile(
        self, info: Info, id: strawberry.ID, input: UpdateProfileInput
    ) -> Profile:
        updated = await profiles.update_profile(info.context, id, input.values())
        return Profile.from_record(updated)

    @mutation(roles=OWNER)
    async def delete_profile(self, info: Info, id: strawberry.ID) -> bool:
        return await profiles.delete_profile(info.context, id)

    @mutation(roles=[], description="Make this profile the one watching, for this session.")
    async def select_profile(self, info: Info, id: strawberry.ID) -> Profile:
        return Profile.from_record(await profiles.select_profile(info.context, id))
