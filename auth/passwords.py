"""Password hashing with argon2id."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# What a new password must be is auth/password_policy.py's; this bound protects the hasher.
MAX_LENGTH = 256  # hashing cost grows with length; bound it so a password cannot be a DoS.

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults
# Verified against when the email is unknown, so both failures take the same time.
_DECOY_HASH = _hasher.hash("decoy password, never matches")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# argon2 is deliberately slow (~100 ms of CPU): off the event loop, or every request on the
# worker waits for each sign-in.


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DECOY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
