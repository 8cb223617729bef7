"""Server-side sessions in Redis: ``session:<token>`` holds the account and active profile.

Each process keeps the sessions it read for a couple of seconds (``RecentSessions``), so a
busy client's requests do not each pay a round trip for the same answer. What makes that
safe is the revocation feed (``auth/session_revocations.py``): every change that must apply
at once (a sign-out, a profile switched, an account's identity changed or erased) is
published on ``REVOCATIONS`` in the same round trip as the change itself, and every process
drops what it kept. The window bounds the rest: a message lost while the feed reconnects,
and the cache is not used at all while it is down.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from datasources.redis_scripts import script

# 16 random bytes (128 bits) as URL-safe base64: 22 characters.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class Session:
    token: str
    account_id: UUID
    profile_id: UUID | None
    # The account's identity version as this session was read (see ``identity_changed``).
    identity_version: str = "0"


def _key(token: str) -> str:
    return f"session:{token}"


_IDENTITY_VERSION_PREFIX = "identity:version:"


def _identity_version_key(account_id: UUID) -> str:
    return f"{_IDENTITY_VERSION_PREFIX}{account_id}"


# Where every process hears of a revocation: "token:<token>" (signed out, its profile
# switched) or "account:<id>" (its identity changed, or the account was erased).
REVOCATIONS = "flix:sessions:revoked"
SESSION_CACHE_SECONDS = 2.0


def _revoked_token(token: str) -> str:
    return f"token:{token}"


def _revoked_account(account_id: UUID) -> str:
    return f"account:{account_id}"


# Read with the session: a viewer cached under an older version is stale. Versions outlive
# any viewer cache window; an expired one reads "0" long after every cached viewer is gone.
_IDENTITY_VERSION_TTL_SECONDS = 24 * 3600

# One round trip per request: the session's fields, its sliding expiry pushed back, and its
# account's identity version. (The version key is not in KEYS: Flix runs one Redis, not a
# cluster.)
_READ_SESSION = """
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return fields end
redis.call('EXPIRE', KEYS[1], ARGV[1])
for i = 1, #fields, 2 do
  if fields[i] == 'account_id' then
    fields[#fields + 1] = 'identity_version'
    fields[#fields + 1] = redis.call('GET', ARGV[2] .. fields[i + 1]) or '0'
    break
  end
end
return fields
"""


async def identity_changed(redis: Redis, account_id: UUID) -> None:
    """Say that an account's roles or profiles changed: its sessions and viewers cached
    before are stale at once in every process (``RecentSessions``, auth.viewer.Viewers),
    not at the end of their cache windows."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(_identity_version_key(account_id))
        pipe.expire(_identity_version_key(account_id), _IDENTITY_VERSION_TTL_SECONDS)
        pipe.publish(REVOCATIONS, _revoked_account(account_id))
        await pipe.execute()


async def account_erased(redis: Redis, account_id: UUID) -> None:
    """Say that an account (or one of its profiles) was erased: every process drops the
    sessions of it that it kept. Nothing is written that would name the account again."""
    await redis.publish(REVOCATIONS, _revoked_account(account_id))


class RecentSessions:
    """Sessions this process read lately: reused for ``cache_seconds`` while the revocation
    feed is live, and trusted for ``grace_seconds`` if Redis is unreachable.

    Without the grace, a Redis outage would sign everyone out; with it, only sessions not
    seen in the last minute are refused (and a logout elsewhere takes up to a minute to
    reach here during such an outage).
    """

    def __init__(
        self,
        cache_seconds: float = SESSION_CACHE_SECONDS,
        grace_seconds: float = 60.0,
        size: int = 10_000,
    ) -> None:
        self._cache = cache_seconds
        self._grace = grace_seconds
        self._size = size
        self._seen: OrderedDict[str, tuple[Session, float]] = OrderedDict()
        # Reads from before the feed last came up (or from before it went down) may have
        # missed a revocation: only reads since then are reused. None while it is down.
        self._live_since: float | None = None
        # Bumped by every revocation, so a read that was in flight meanwhile is not kept.
        self.generation = 0

    def remember(self, session: Session, generation: int | None = None) -> None:
        """Keep a session just read; ``generation`` is ``self.generation`` when the read
        began (a revocation since then leaves it out)."""
        if generation is not None and generation != self.generation:
            return
        self._seen[session.token] = (session, time.monotonic())
        self._seen.move_to_end(session.token)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def cached(self, token: str) -> Session | None:
        """The session as read less than ``cache_seconds`` ago, while the feed is live."""
        found = self._seen.get(token)
        if found is None or self._live_since is None or found[1] < self._live_since:
            return None
        return found[0] if time.monotonic() - found[1] < self._cache else None

    def recall(self, token: str) -> Session | None:
        """The session as read less than ``grace_seconds`` ago (Redis is unreachable)."""
        found = self._seen.get(token)
        if found is None or time.monotonic() - found[1] > self._grace:
            return None
        return found[0]

    def forget(self, token: str) -> None:
        """A revocation: reads of it in flight are not kept either."""
        self.generation += 1
        self._seen.pop(token, None)

    def discard(self, token: str) -> None:
        """A token Redis no longer knows (no revocation to announce)."""
        self._seen.pop(token, None)

    def forget_account(self, account_id: UUID) -> None:
        self.generation += 1
        stale = [t for t, (session, _) in self._seen.items() if session.account_id == account_id]
        for token in stale:
            del self._seen[token]

    def revoked(self, message: str) -> None:
        """A message of the revocation feed: "token:<token>" or "account:<id>"."""
        kind, _, subject = message.partition(":")
        if kind == "token":
            self.forget(subject)
        elif kind == "account":
            try:
                self.forget_account(UUID(subject))
            except ValueError:
                return

    @property
    def live(self) -> bool:
        return self._live_since is not None

    def feed_live(self, live: bool) -> None:
        self.generation += 1
        self._live_since = time.monotonic() if live else None


class SessionStore:
    def __init__(
        self, redis: Redis, ttl_seconds: int, recent: RecentSessions | None = None
    ) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._recent = recent or RecentSessions()
        self._read = script(redis, _READ_SESSION)

    async def create(self, account_id: UUID) -> Session:
        """A brand-new token on every sign-in, so a token seen before sign-in is worthless."""
        token = secrets.token_urlsafe(16)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(_key(token), mapping={"account_id": str(account_id), "profile_id": ""})
            pipe.expire(_key(token), self._ttl)
            await pipe.execute()
        return Session(token, account_id, None)

    async def get(self, token: str) -> Session | None:
        """The session, its expiry pushed back (sliding); None for unknown or malformed tokens."""
        if not _TOKEN.match(token):
            return None
        if (cached := self._recent.cached(token)) is not None:
            return cached
        generation = self._recent.generation
        try:
            flat = await self._read(keys=[_key(token)], args=[self._ttl, _IDENTITY_VERSION_PREFIX])
        except RedisError:
            if (recalled := self._recent.recall(token)) is not None:
                return recalled
            raise
        if not flat:
            self._recent.discard(token)
            return None
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        profile = fields.get("profile_id") or None
        session = Session(
            token,
            UUID(fields["account_id"]),
            UUID(profile) if profile else None,
            fields.get("identity_version", "0"),
        )
        self._recent.remember(session, generation)
        return session

    async def select_profile(self, session: Session, profile_id: UUID | None) -> Session:
        # XX semantics by hand: never resurrect a session that was deleted meanwhile.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.exists(_key(session.token))
            pipe.hset(_key(session.token), "profile_id", str(profile_id or ""))
            pipe.expire(_key(session.token), self._ttl)
            pipe.publish(REVOCATIONS, _revoked_token(session.token))
            existed, _, _, _ = await pipe.execute()
        chosen = Session(session.token, session.account_id, profile_id, session.identity_version)
        if not existed:
            await self._redis.delete(_key(session.token))
            self._recent.forget(session.token)
        else:
            self._recent.remember(chosen)
        return chosen

    async def delete(self, token: str) -> None:
        self._recent.forget(token)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(_key(token))
            pipe.publish(REVOCATIONS, _revoked_token(token))
            await pipe.execute()
