"""Identity types: Account and the sign-in payload."""

from __future__ import annotations

import strawberry

from core import records
from core.plans import Plan
from resolvers import identity, profiles
from schema.context import Info
from schema.experiments.types import AccountExperiments
from schema.federation import entity
from schema.profiles.types import Profile

strawberry.enum(
    Plan, name="Plan", description=", ".join(f"{p} up to {p.max_height}p" for p in Plan) + "."
)


@strawberry.type
class AccountIdentity:
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


@entity(key="id")
@strawberry.type
class Account(AccountIdentity, AccountExperiments):
    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        """Like ``me``: only the signed-in account is found, never another's."""
        account = info.context.viewer.account
        return cls.from_record(account) if account and str(account.id) == id else None

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
