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

    @mutation(
        roles=[],
        description=(
            "Make this profile the one watching, for this session. A locked profile needs its"
            " `pin`; leaving a kids profile for an unlocked non-kids one needs the account"
            " `password`. Wrong ones count: 5 lock the profile for 15 minutes."
        ),
    )
    async def select_profile(
        self,
        info: Info,
        id: strawberry.ID,
        pin: str | None = None,
        password: str | None = None,
    ) -> Profile:
        chosen = await profiles.select_profile(info.context, id, pin=pin, password=password)
        return Profile.from_record(chosen)

    @mutation(
        roles=OWNER,
        description="Lock the profile with a 4-digit PIN (replacing any earlier one).",
    )
    async def set_profile_lock(self, info: Info, id: strawberry.ID, pin: str) -> Profile:
        return Profile.from_record(await profiles.set_profile_lock(info.context, id, pin))

    @mutation(roles=OWNER, description="Remove the profile's PIN; needs the account password.")
    async def remove_profile_lock(self, info: Info, id: strawberry.ID, password: str) -> Profile:
        return Profile.from_record(await profiles.remove_profile_lock(info.context, id, password))
