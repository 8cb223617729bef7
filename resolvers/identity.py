"""Identity: register, sign in and out, and delete the account."""

from __future__ import annotations

import re
from dataclasses import dataclass

from auth import password_policy, passwords
from auth.rate_policies import Category
from auth.roles import effective_roles
from auth.sessions import Session, account_erased
from core.errors import BadUserInput, Forbidden, RateLimited, Unauthenticated
from core.plans import Plan
from core.records import Account, Profile
from datasources import identity
from lifecycle import erasure
from lifecycle.audit import AuditAction, audit
from resolvers.context import Context

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SIGN_IN_FAILED = "Wrong email or password."
_WRONG_PASSWORD = "Wrong password: nothing was deleted."


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session: Session


def _valid_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise BadUserInput("That does not look like an email address.")
    return email


def _bounded_password(password: str) -> str:
    if len(password) > passwords.MAX_LENGTH:
        raise BadUserInput(f"Passwords can be at most {passwords.MAX_LENGTH} characters.")
    return password


async def _start_session(ctx: Context, account: Account) -> SignedIn:
    if ctx.viewer.session is not None:  # never carry a session id across a sign-in
        await ctx.sessions.delete(ctx.viewer.session.token)
    session = await ctx.sessions.create(account.id)
    ctx.set_session_cookie(session.token)
    await audit(ctx.events, AuditAction.SIGNED_IN, account_id=account.id, ip=ctx.client_ip)
    return SignedIn(account, session)


async def _throttle_registration(ctx: Context, email: str) -> None:
    limits = ctx.registration_limits
    for limiter, subject in ((limits.per_ip, ctx.client_ip), (limits.per_email, email.lower())):
        if retry_after := await limiter.hit(subject):
            raise RateLimited(
                f"Too many sign-up attempts. Try again in {retry_after} seconds.", retry_after
            )


async def register(ctx: Context, email: str, password: str, country: str, plan: str) -> SignedIn:
    """A new account, signed in. The answer never tells whether the email had an account
    (docs/accounts_and_profiles.md, "Registration"): its owner's own password signs in to it, as a
    retried registration would want; any other password gets the answer a password the
    policy refuses gets, word for word, after the same work."""
    email = _valid_email(email)
    _bounded_password(password)
    country = country.strip().upper()
    if not _COUNTRY.match(country):
        raise BadUserInput("`country` must be a two-letter ISO 3166 code, like US.")
    if plan not in set(Plan):
        raise BadUserInput(f"`plan` must be one of {', '.join(Plan)}.")
    await _throttle_registration(ctx, email)
    found = await identity.credentials_by_email(ctx.engine, email)
    # One argon2 verification on every path (the decoy hash for a new email), so that an
    # existing email takes as long to refuse as a password the policy refuses.
    owns_it = await passwords.verify_password_async(found[1] if found else None, password)
    if found is not None and owns_it:
        return await _start_session(ctx, found[0])
    if found is not None or not password_policy.acceptable(password, email):
        raise BadUserInput(password_policy.REFUSED)
    account = await identity.create_account(
        ctx.engine,
        email=email,
        password_hash=await passwords.hash_password_async(password),
        country=country,
        plan=Plan(plan),
    )
    if account is None:  # registered meanwhile, by a request that got here first
        raise BadUserInput(password_policy.REFUSED)
    return await _start_session(ctx, account)


async def login(ctx: Context, email: str, password: str) -> SignedIn:
    # The shape first, as registration checks it: no email that could never have an account
    # becomes a rate-limit key (one of 900 KB would be stored as one).
    email = _valid_email(email)
    # The auth category counted this attempt against the client (schema/rate_categories.py);
    # it counts against the account it targets too, so that guessing one account's password
    # from many addresses gets no further. Before the password check: every alias counts.
    await ctx.rate_limits.take(Category.AUTH, subject=f"email:{email.lower()}")
    found = await identity.credentials_by_email(ctx.engine, email)
    # Unknown email and wrong password look the same, and take the same time.
    verified = await passwords.verify_password_async(found[1] if found else None, password)
    if found is None or not verified:
        # The account it aimed at, when there is one; an unknown email is not recorded.
        target = None if found is None else found[0].id
        await audit(ctx.events, AuditAction.SIGN_IN_FAILED, account_id=target, ip=ctx.client_ip)
        raise Unauthenticated(_SIGN_IN_FAILED)
    return await _start_session(ctx, found[0])


async def logout(ctx: Context) -> bool:
    session = ctx.viewer.session
    if session is None:
        return False
    await ctx.sessions.delete(session.token)
    ctx.set_session_cookie(None)
    return True


def personal_stores(ctx: Context) -> erasure.PersonalStores:
    return erasure.PersonalStores(ctx.engine, ctx.redis, ctx.viewing, ctx.events)


async def delete_account(ctx: Context, password: str) -> bool:
    """Erase the signed-in account, its profiles and everything of theirs, in every store
    (lifecycle/erasure.py), once its password is confirmed; every session of the account
    is signed out. A wrong password is FORBIDDEN and changes nothing (the mutation's
    rate-limit category, auth, bounds the guesses)."""
    account = ctx.viewer.require_account()
    password_hash = await identity.password_hash(ctx.engine, account.id)
    # Over-long cannot be the password (registration refuses it) and is not worth hashing.
    fits = len(password) <= passwords.MAX_LENGTH
    if not (fits and await passwords.verify_password_async(password_hash, password)):
        raise Forbidden(_WRONG_PASSWORD)
    await erasure.erase_account(personal_stores(ctx), account.id)
    await account_erased(ctx.redis, account.id)
    ctx.set_session_cookie(None)
    return True


def _is_viewer(ctx: Context, account: Account) -> bool:
    return ctx.viewer.account is not None and ctx.viewer.account.id == account.id


def active_profile(ctx: Context, account: Account) -> Profile | None:
    return ctx.viewer.profile if _is_viewer(ctx, account) else None


async def roles(ctx: Context, account: Account) -> frozenset[str]:
    """Stored roles, narrowed or widened by the profile this session is watching as."""
    stored = await ctx.loaders.roles.load(account.id)
    return effective_roles(stored, active_profile(ctx, account))
