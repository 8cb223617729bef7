"""A bare account and profile straight in PostgreSQL, for store-level tests that need the
viewing tables' foreign keys satisfied and no API around them."""

from __future__ import annotations

import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.tables import accounts, profiles


async def insert_profile(engine: AsyncEngine) -> uuid.UUID:
    """A new account (random email) with one profile; the profile's id."""
    async with engine.begin() as connection:
        account = await connection.scalar(
            insert(accounts)
            .values(email=f"{uuid.uuid4().hex}@x.io", password_hash="-", country="US", plan="BASIC")
            .returning(accounts.c.id)
        )
        profile = await connection.scalar(
            insert(profiles).values(account_id=account, name="P").returning(profiles.c.id)
        )
    assert isinstance(profile, uuid.UUID)
    return profile
