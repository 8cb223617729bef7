"""Profile types."""

from __future__ import annotations

import dataclasses

import strawberry

from core import records
from resolvers import profiles
from schema.context import Info
from schema.federation import entity


@entity(key="id")
@strawberry.type
class Profile:
    id: strawberry.ID
    name: str
    is_kids: bool
    maturity_level: int
    language: str
    avatar_url: str | None
    locked: bool = strawberry.field(
        description="Whether a PIN guards the profile (`setProfileLock`): `selectProfile` needs it."
    )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Profile:
        """Like ``profile(id)``: only the signed-in account's profiles are found."""
        return cls.from_record(await profiles.owned_profile(info.context, id))

    @classmethod
    def from_record(cls, profile: records.Profile) -> Profile:
        return cls(
            id=strawberry.ID(str(profile.id)),
            name=profile.name,
            is_kids=profile.is_kids,
            maturity_level=profile.maturity_level,
            language=profile.language,
            avatar_url=profile.avatar_url,
            locked=profile.locked,
        )


@strawberry.input
class CreateProfileInput:
    name: str
    is_kids: bool = False
    maturity_level: int | None = None
    language: str | None = None
    avatar_url: str | None = None

    def values(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@strawberry.input
class UpdateProfileInput:
    name: str | None = None
    is_kids: bool | None = None
    maturity_level: int | None = None
    language: str | None = None
    avatar_url: str | None = None

    def values(self) -> dict[str, object]:
        return dataclasses.asdict(self)
