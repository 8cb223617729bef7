"""Identity mutations: register, login, logout, deleteAccount."""

from __future__ import annotations

import strawberry

from resolvers import identity
from schema.context import Info
from schema.identity.types import Account, AuthPayload, RegisterInput


def _payload(signed_in: identity.SignedIn) -> AuthPayload:
    return AuthPayload(
        account=Account.from_record(signed_in.account), token=signed_in.session.token
    )


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Create an account and sign in to it.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        signed_in = await identity.register(
            info.context, input.email, input.password, input.country, input.plan.value
        )
        return _payload(signed_in)

    # Nullable so that a failed alias nulls only itself: every alias in a batched document
    # is then attempted, and counted by the rate limiter, like separate requests would be.
    @strawberry.mutation(description="Sign in: sets the session cookie and returns the token.")
    async def login(self, info: Info, email: str, password: str) -> AuthPayload | None:
        return _payload(await identity.login(info.context, email, password))

    @strawberry.mutation(description="Sign out and end the session everywhere it is used.")
    async def logout(self, info: Info) -> bool:
        return await identity.logout(info.context)

    @strawberry.mutation(
        description=(
            "Delete the signed-in account for good: its profiles, viewing, ratings, My List"
            " and every other trace of it, in every store (GDPR erasure), and sign out every"
            " session. Needs the account's password; a wrong one is FORBIDDEN and changes"
            " nothing."
        )
    )
    async def delete_account(self, info: Info, password: str) -> bool:
        return await identity.delete_account(info.context, password)
