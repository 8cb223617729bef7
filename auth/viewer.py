"""Who is asking: the session, its account, the active profile and the roles they add up to."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from auth.roles import effective_roles
from auth.sessions import Session
from datasources.errors import ProfileRequired, Unauthenticated
from datasources.loaders import Loaders
from datasources.records import Account, Profile


@dataclass(frozen=True)
class Viewer:
    session: Session | None = None
    account: Account | None = None
    profile: Profile | None = None
    roles: frozenset[str] = frozenset()

    def require_account(self) -> Account:
        if self.account is None:
            raise Unauthenticated("Sign in first.")
        return self.account

    def require_session(self) -> Session:
        self.require_account()
        assert self.session is not None
        return self.session

    def require_profile(self) -> Profile:
        self.require_account()
        if self.profile is None:
            raise ProfileRequired("Choose a profile first (selectProfile).")
        return self.profile


ANONYMOUS = Viewer()


async def resolve_viewer(session: Session | None, loaders: Loaders) -> Viewer:
    if session is None:
        return ANONYMOUS
    account, stored_roles, profile = await asyncio.gather(
        loaders.account.load(session.account_id),
        loaders.roles.load(session.account_id),
        loaders.profile.load(session.profile_id) if session.profile_id else _no_profile(),
    )
    if account is None:  # the account was deleted under a live session
        return ANONYMOUS
    # A profile deleted meanwhile, or (never) one of another account, is simply not active.
    if profile is not None and profile.account_id != account.id:
        profile = None
    return Viewer(session, account, profile, effective_roles(stored_roles, profile))


async def _no_profile() -> None:
    return None
