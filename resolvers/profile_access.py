"""Who may enter a profile: the profile lock's PIN, and the way out of a kids profile.

Every proof offered for a profile (its PIN, or the account password) is counted against that
profile before it is checked (auth/profile_lock.py); a wrong one changes nothing else.
"""

from __future__ import annotations

from auth import passwords, profile_lock
from auth.sessions import identity_changed
from core.errors import Forbidden, NotFound
from core.records import Profile
from datasources import identity, profiles
from lifecycle.audit import AuditAction, audit
from resolvers.context import Context

_NOT_FOUND = "No such profile."


def _wrong(what: str, tries_left: int) -> Forbidden:
    minutes = profile_lock.LOCKOUT_SECONDS // 60
    if tries_left == 0:
        return Forbidden(f"Wrong {what}. Too many wrong tries: locked for {minutes} minutes.")
    tries = "1 try" if tries_left == 1 else f"{tries_left} tries"
    return Forbidden(f"Wrong {what}: {tries} left before this profile locks for {minutes} minutes.")


async def _prove_pin(ctx: Context, profile: Profile, pin: str) -> None:
    attempts = profile_lock.UnlockAttempts(ctx.redis, profile.id)
    await attempts.begin()
    pin_hash = await profiles.pin_hash(ctx.engine, profile.account_id, profile.id)
    if not await profile_lock.verify_pin(pin_hash, pin):
        raise _wrong("PIN", await attempts.failed())
    await attempts.succeeded()


async def _prove_password(ctx: Context, profile: Profile, password: str) -> None:
    attempts = profile_lock.UnlockAttempts(ctx.redis, profile.id)
    await attempts.begin()
    password_hash = await identity.password_hash(ctx.engine, profile.account_id)
    # Over-long cannot be the password (registration refuses it) and is not worth hashing.
    fits = len(password) <= passwords.MAX_LENGTH
    if not (fits and await passwords.verify_password_async(password_hash, password)):
        raise _wrong("account password", await attempts.failed())
    await attempts.succeeded()


async def check_entry(
    ctx: Context,
    chosen: Profile,
    *,
    leaving: Profile | None,
    pin: str | None,
    password: str | None,
) -> None:
    """FORBIDDEN (or RATE_LIMITED while locked out) unless this session may switch to
    ``chosen`` from ``leaving``."""
    if chosen.locked:
        # The PIN, and only the PIN: the password would let anyone who knows it past a lock
        # that exists to keep one person of the household out.
        if pin is None:
            raise Forbidden("This profile is locked: enter its 4-digit PIN (`pin`).")
        await _prove_pin(ctx, chosen, pin)
    elif leaving is not None and leaving.is_kids and not chosen.is_kids:
        if password is None:
            raise Forbidden(
                "Leaving a kids profile for this one needs the account password (`password`)."
            )
        await _prove_password(ctx, chosen, password)


async def lock(ctx: Context, profile: Profile, pin: str) -> Profile:
    pin_hash = await profile_lock.hash_pin(pin)
    locked = await profiles.set_pin_hash(ctx.engine, profile.account_id, profile.id, pin_hash)
    if locked is None:
        raise NotFound(_NOT_FOUND)
    await identity_changed(ctx.redis, profile.account_id)
    # A new PIN starts with a clean slate: the owner has just shown who they are.
    await profile_lock.UnlockAttempts(ctx.redis, profile.id).succeeded()
    await _audit(ctx, AuditAction.PROFILE_LOCKED, profile)
    return locked


async def unlock(ctx: Context, profile: Profile, password: str) -> Profile:
    await _prove_password(ctx, profile, password)
    unlocked = await profiles.set_pin_hash(ctx.engine, profile.account_id, profile.id, None)
    if unlocked is None:
        raise NotFound(_NOT_FOUND)
    await identity_changed(ctx.redis, profile.account_id)
    await _audit(ctx, AuditAction.PROFILE_UNLOCKED, profile)
    return unlocked


async def _audit(ctx: Context, action: AuditAction, profile: Profile) -> None:
    actor = ctx.viewer.account.id if ctx.viewer.account else None
    await audit(
        ctx.events,
        action,
        actor_account_id=actor,
        account_id=profile.account_id,
        profile_id=profile.id,
        ip=ctx.client_ip,
    )
