"""Who is asking: the session, its account, the active profile and the roles they add up to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from auth.roles import effective_roles
from auth.sessions import Session
from core.errors import ProfileRequired, Unauthenticated
from core.records import Account, Profile
from datasources.identity import session_identity


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


async def resolve_viewer(session: Session | None, engine: AsyncEngine) -> Viewer:
    if session is None:
        return ANONYMOUS
    identity = await session_identity(engine, session.account_id, session.profile_id)
    if identity is None:  # the account was deleted under a live session
        return ANONYMOUS
    # A profile deleted meanwhile, or one of another account, is simply not active.
    account, stored_roles, profile = identity
    return Viewer(session, account, profile, effective_roles(stored_roles, profile))
