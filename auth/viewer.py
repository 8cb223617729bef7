"""Who is asking: the session, its account, the active profile and the roles they add up to."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

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


# How long a process reuses a viewer it resolved. Changes through the API (profiles, locks)
# bump the account's identity version and apply at the next request; this window bounds the
# rest (a role granted from the CLI, an edit straight in the database).
VIEWER_CACHE_SECONDS = 5.0

_Identity = tuple[Account, frozenset[str], Profile | None]


class Viewers:
    """Resolves the viewer of a session, reusing what this process read lately.

    Every signed-in request needs its account, roles and active profile; reading them from
    PostgreSQL each time was a third of a catalog read's CPU. An entry is reused only while
    the session's identity version (read with the session, in the same Redis round trip) is
    the one it was read under, and for at most ``ttl_seconds``; a signed-out session is gone
    from Redis, so it never reaches the cache.
    """

    def __init__(
        self, engine: AsyncEngine, ttl_seconds: float = VIEWER_CACHE_SECONDS, size: int = 10_000
    ) -> None:
        self._engine = engine
        self._ttl = ttl_seconds
        self._size = size
        self._seen: OrderedDict[tuple[UUID, UUID | None], tuple[str, float, _Identity]] = (
            OrderedDict()
        )

    async def resolve(self, session: Session | None) -> Viewer:
        if session is None:
            return ANONYMOUS
        key = (session.account_id, session.profile_id)
        found = self._seen.get(key)
        if (
            found is not None
            and found[0] == session.identity_version
            and time.monotonic() - found[1] < self._ttl
        ):
            account, roles, profile = found[2]
            return Viewer(session, account, profile, roles)
        identity = await session_identity(self._engine, session.account_id, session.profile_id)
        if identity is None:  # the account was deleted under a live session
            self._seen.pop(key, None)
            return ANONYMOUS
        # A profile deleted meanwhile, or one of another account, is simply not active.
        account, stored_roles, profile = identity
        roles = effective_roles(stored_roles, profile)
        self._seen[key] = (session.identity_version, time.monotonic(), (account, roles, profile))
        self._seen.move_to_end(key)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return Viewer(session, account, profile, roles)
