"""Profiles: the people who share an account."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import Conflict
from core.records import Profile
from datasources.tables import accounts, profiles

# A profile as the record carries it: whether it is locked, never the PIN's hash.
_PROFILE_COLUMNS = [
    *(c for c in profiles.c if c.name not in ("created_at", "pin_hash")),
    profiles.c.pin_hash.is_not(None).label("locked"),
]
_DUPLICATE_NAME = "A profile with this name already exists on the account."


def _is_duplicate_name(error: IntegrityError) -> bool:
    return "uq_profiles_account_name" in str(error.orig)


async def profiles_by_account(
    engine: AsyncEngine, account_ids: Sequence[UUID]
) -> dict[UUID, list[Profile]]:
    query = (
        select(*_PROFILE_COLUMNS)
        .where(profiles.c.account_id.in_(account_ids))
        .order_by(profiles.c.account_id, profiles.c.created_at, profiles.c.id)
    )
    grouped: dict[UUID, list[Profile]] = defaultdict(list)
    async with engine.connect() as connection:
        for row in await connection.execute(query):
            grouped[row.account_id].append(Profile(**row._mapping))
    return grouped


async def profiles_by_id(engine: AsyncEngine, ids: Sequence[UUID]) -> dict[UUID, Profile]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(*_PROFILE_COLUMNS).where(profiles.c.id.in_(ids)))
        return {row.id: Profile(**row._mapping) for row in rows}


async def create_profile(
    engine: AsyncEngine, account_id: UUID, values: Mapping[str, Any], *, limit: int
) -> Profile | None:
    """The new profile, or None when the account already has ``limit`` profiles."""
    async with engine.begin() as connection:
        # Lock the account row, not its profiles: with no profile yet (or fewer rows than
        # concurrent creates) a lock on the profiles serialises nothing, and 12 concurrent
        # creates could all count 4. Every create of this account queues on this row lock.
        await connection.execute(
            select(accounts.c.id).where(accounts.c.id == account_id).with_for_update()
        )
        existing = await connection.scalar(
            select(func.count()).select_from(profiles).where(profiles.c.account_id == account_id)
        )
        if (existing or 0) >= limit:
            return None
        statement = (
            insert(profiles).values(account_id=account_id, **values).returning(*_PROFILE_COLUMNS)
        )
        try:
            row = (await connection.execute(statement)).one()
        except IntegrityError as error:
            if _is_duplicate_name(error):
                raise Conflict(_DUPLICATE_NAME) from None
            raise
        return Profile(**row._mapping)


async def update_profile(
    engine: AsyncEngine, account_id: UUID, profile_id: UUID, values: Mapping[str, Any]
) -> Profile | None:
    statement = (
        update(profiles)
        .where(profiles.c.id == profile_id, profiles.c.account_id == account_id)
        .values(**values)
        .returning(*_PROFILE_COLUMNS)
    )
    try:
        async with engine.begin() as connection:
            row = (await connection.execute(statement)).one_or_none()
    except IntegrityError as error:
        if _is_duplicate_name(error):
            raise Conflict(_DUPLICATE_NAME) from None
        raise
    return Profile(**row._mapping) if row else None


async def pin_hash(engine: AsyncEngine, account_id: UUID, profile_id: UUID) -> str | None:
    """The hash of the profile's PIN; None when it has none (or is not the account's)."""
    query = select(profiles.c.pin_hash).where(
        profiles.c.id == profile_id, profiles.c.account_id == account_id
    )
    async with engine.connect() as connection:
        found: str | None = await connection.scalar(query)
        return found


async def set_pin_hash(
    engine: AsyncEngine, account_id: UUID, profile_id: UUID, pin_hash: str | None
) -> Profile | None:
    """Lock the profile with this PIN hash (None unlocks it); None when it is not the account's."""
    statement = (
        update(profiles)
        .where(profiles.c.id == profile_id, profiles.c.account_id == account_id)
        .values(pin_hash=pin_hash)
        .returning(*_PROFILE_COLUMNS)
    )
    async with engine.begin() as connection:
        row = (await connection.execute(statement)).one_or_none()
    return Profile(**row._mapping) if row else None
