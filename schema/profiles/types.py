"""Profile types."""

from __future__ import annotations

import dataclasses

import strawberry

from core import records


@strawberry.type
class Profile:
    id: strawberry.ID
    name: str
    is_kids: bool
    maturity_level: int
    language: str
    avatar_url: str | None

    @classmethod
    def from_record(cls, profile: records.Profile) -> Profile:
        return cls(
            id=strawberry.ID(str(profile.id)),
            name=profile.name,
            is_kids=profile.is_kids,
            maturity_level=profile.maturity_level,
            language=profile.language,
            avatar_url=profile.avatar_url,
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
