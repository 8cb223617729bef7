"""Profiles: create, edit, delete and choose who is watching."""

from __future__ import annotations

from typing import Any

from auth import maturity
from auth.sessions import identity_changed
from core.errors import BadUserInput, Conflict, NotFound
from core.ids import parse_uuid
from core.records import Account, Profile
from datasources import profiles
from lifecycle import erasure
from resolvers import profile_access
from resolvers.context import Context

MAX_PROFILES = 5
_NOT_FOUND = "No such profile."


def profile_values(fields: dict[str, Any], *, current: Profile | None) -> dict[str, Any]:
    """Validated column values; kids profiles default to, and are capped at, the kids level."""
    values = {key: value for key, value in fields.items() if value is not None}
    if "name" in values:
        values["name"] = " ".join(values["name"].split())
        if not 1 <= len(values["name"]) <= 50:
            raise BadUserInput("`name` must be 1 to 50 characters.")
    is_kids = values.get("is_kids", current.is_kids if current else False)
    if "maturity_level" in values:
        if not maturity.LOWEST <= values["maturity_level"] <= maturity.HIGHEST:
            raise BadUserInput(
                f"`maturityLevel` must be between {maturity.LOWEST} and {maturity.HIGHEST}."
            )
        if is_kids and values["maturity_level"] > maturity.KIDS_MAX:
            raise BadUserInput(f"Kids profiles go up to maturity level {maturity.KIDS_MAX}.")
    elif current is None:
        values["maturity_level"] = maturity.KIDS_MAX if is_kids else maturity.ADULT_DEFAULT
    elif is_kids and current.maturity_level > maturity.KIDS_MAX:
        values["maturity_level"] = maturity.KIDS_MAX  # turning a profile into a kids one
    if "language" in values and not 2 <= len(values["language"]) <= 16:
        raise BadUserInput("`language` must be a language tag such as en or pt-BR.")
    if "avatar_url" in values and not values["avatar_url"].startswith(("https://", "/")):
        raise BadUserInput("`avatarUrl` must be an https:// or site-relative URL.")
    return values


async def owned_profile(ctx: Context, profile_id: str) -> Profile:
    """The signed-in account's profile; anyone else's answers NOT_FOUND, never FORBIDDEN."""
    account = ctx.viewer.require_account()
    found = await ctx.loaders.profile.load(parse_uuid(profile_id, "profile"))
    if found is None or found.account_id != account.id:
        raise NotFound(_NOT_FOUND)
    return found


async def account_profiles(ctx: Context, account: Account) -> list[Profile]:
    return await ctx.loaders.profiles.load(account.id)


async def create_profile(ctx: Context, fields: dict[str, Any]) -> Profile:
    account = ctx.viewer.require_account()
    values = profile_values(fields, current=None)
    if "name" not in values:
        raise BadUserInput("`name` is required.")
    created = await profiles.create_profile(ctx.engine, account.id, values, limit=MAX_PROFILES)
    if created is None:
        raise Conflict(f"An account can have at most {MAX_PROFILES} profiles.")
    return created


async def update_profile(ctx: Context, profile_id: str, fields: dict[str, Any]) -> Profile:
    current = await owned_profile(ctx, profile_id)
    values = profile_values(fields, current=current)
    if not values:
        raise BadUserInput("Nothing to update.")
    updated = await profiles.update_profile(ctx.engine, current.account_id, current.id, values)
    if updated is None:
        raise NotFound(_NOT_FOUND)
    await identity_changed(ctx.redis, current.account_id)  # its maturity may have changed
    return updated


async def delete_profile(ctx: Context, profile_id: str) -> bool:
    current = await owned_profile(ctx, profile_id)
    # An erasure, not just the row: its viewing, Redis keys and sealed events go with it.
    stores = erasure.PersonalStores(ctx.engine, ctx.redis, ctx.viewing, ctx.events)
    if await erasure.erase_profile(stores, current.id, current.account_id) is None:
        raise NotFound(_NOT_FOUND)
    await identity_changed(ctx.redis, current.account_id)
    session = ctx.viewer.require_session()
    if session.profile_id == current.id:
        await ctx.sessions.select_profile(session, None)
    return True


async def select_profile(
    ctx: Context, profile_id: str, *, pin: str | None = None, password: str | None = None
) -> Profile:
    """Watch as this profile, for this session. A locked profile needs its PIN; leaving a
    kids profile for a grown-up one needs the account password (or that profile's PIN)."""
    chosen = await owned_profile(ctx, profile_id)
    current = ctx.viewer.profile
    if current is None or current.id != chosen.id:
        await profile_access.check_entry(ctx, chosen, leaving=current, pin=pin, password=password)
    await ctx.sessions.select_profile(ctx.viewer.require_session(), chosen.id)
    return chosen


async def set_profile_lock(ctx: Context, profile_id: str, pin: str) -> Profile:
    """Lock (or re-lock with a new PIN) one of the account's profiles."""
    current = await owned_profile(ctx, profile_id)
    return await profile_access.lock(ctx, current, pin)


async def remove_profile_lock(ctx: Context, profile_id: str, password: str) -> Profile:
    """Unlock a profile; the account password proves it is the account's owner asking."""
    current = await owned_profile(ctx, profile_id)
    return await profile_access.unlock(ctx, current, password)
