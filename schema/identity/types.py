"""Identity types: Account and the sign-in payload."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from core import records
from core.plans import Plan
from resolvers import experiments, identity, profiles
from schema.context import Info
from schema.profiles.types import Profile

if TYPE_CHECKING:
    from schema.experiments.types import Assignment


strawberry.enum(
    Plan, name="Plan", description=", ".join(f"{p} up to {p.max_height}p" for p in Plan) + "."
)


@strawberry.type
class Account:
    id: strawberry.ID
    email: str
    country: str
    plan: Plan
    record: strawberry.Private[records.Account]

    @strawberry.field(description="Stored roles plus the one the active profile implies.")
    async def roles(self, info: Info) -> list[str]:
        return sorted(await identity.roles(info.context, self.record))

    @strawberry.field
    async def profiles(self, info: Info) -> list[Profile]:
        found = await profiles.account_profiles(info.context, self.record)
        return [Profile.from_record(profile) for profile in found]

    @strawberry.field(description="The profile this session is watching as, if any.")
    def active_profile(self, info: Info) -> Profile | None:
        profile = identity.active_profile(info.context, self.record)
        return Profile.from_record(profile) if profile else None

    @strawberry.field(description="The experiment variants the active profile is in.")
    async def assignments(
        self, info: Info
    ) -> list[Annotated[Assignment, strawberry.lazy("schema.experiments.types")]]:
        from schema.experiments.types import Assignment

        if identity.active_profile(info.context, self.record) is None:
            return []
        return [Assignment.of(a) for a in await experiments.assignments(info.context)]

    @classmethod
    def from_record(cls, account: records.Account) -> Account:
        return cls(
            id=strawberry.ID(str(account.id)),
            email=account.email,
            country=account.country,
            plan=account.plan,
            record=account,
        )


@strawberry.type
class AuthPayload:
    account: Account
    token: str = strawberry.field(description="The session token, for `Authorization: Bearer`.")


@strawberry.input
class RegisterInput:
    email: str
    password: str
    country: str = strawberry.field(description="ISO 3166 two-letter country code.")
    plan: Plan
