"""Profile lock: a 4-digit PIN per profile, and the count of wrong tries that locks it out.

A PIN has only 10,000 values, so what protects it is the counter, not the hash: 5 wrong
tries (a PIN or the account password, offered for this profile) within 15 minutes of each
other shut the profile for 15 minutes, correct PIN or not.
"""

from __future__ import annotations

import re
from uuid import UUID

from redis.asyncio import Redis

from auth import passwords
from core.errors import BadUserInput, RateLimited

MAX_WRONG_TRIES = 5
LOCKOUT_SECONDS = 15 * 60
# ASCII digits only: \d would take "١٢٣٤" (Arabic-Indic), which no keypad types back.
_PIN = re.compile(r"^[0-9]{4}$")


def valid_pin(pin: str) -> str:
    if not _PIN.match(pin):
        raise BadUserInput("A PIN is exactly 4 digits, such as 4821.")
    return pin


async def hash_pin(pin: str) -> str:
    """argon2id, like account passwords (the same hasher and parameters)."""
    return await passwords.hash_password_async(valid_pin(pin))


async def verify_pin(pin_hash: str | None, pin: str) -> bool:
    # A malformed PIN is simply wrong here (and counted), and never worth hashing.
    return bool(_PIN.match(pin)) and await passwords.verify_password_async(pin_hash, pin)


class UnlockAttempts:
    """The tries at unlocking one profile, counted in Redis so every worker sees them."""

    def __init__(self, redis: Redis, profile_id: UUID) -> None:
        self._redis = redis
        self._key = f"profile-unlock:{profile_id}"

    async def begin(self) -> None:
        """Count this try before checking it, so that concurrent guesses cannot all slip in
        under the limit; RATE_LIMITED while the profile is shut."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key, 0, ex=LOCKOUT_SECONDS, nx=True)
            pipe.incr(self._key)
            pipe.ttl(self._key)
            _, tries, ttl = await pipe.execute()
        if tries > MAX_WRONG_TRIES:
            retry_after = max(1, int(ttl))
            raise RateLimited(
                f"Too many wrong tries: this profile is locked for {_minutes(retry_after)}.",
                retry_after,
            )

    async def failed(self) -> int:
        """The try was wrong: it stays counted, and the lockout runs 15 minutes from now.
        Returns how many tries are left before it shuts."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.expire(self._key, LOCKOUT_SECONDS)
            pipe.get(self._key)
            _, tries = await pipe.execute()
        return max(0, MAX_WRONG_TRIES - int(tries or 0))

    async def succeeded(self) -> None:
        """The right PIN or password: earlier wrong tries are forgiven."""
        await self._redis.delete(self._key)


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "1 more minute" if minutes == 1 else f"{minutes} more minutes"
