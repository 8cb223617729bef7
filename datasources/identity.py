"""Accounts and their stored roles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.plans import Plan
from core.records import Account, Profile
from datasources.tables import account_roles, accounts, profiles

_ACCOUNT_COLUMNS = [c for c in accounts.c if c.name != "password_hash"]


async def create_account(
    engine: AsyncEngine, *, email: str, password_hash: str, country: str, plan: Plan
) -> Account | None:
    """The new account, or None when the email (in any letter case) is taken."""
    statement = (
        insert(accounts)
        .values(email=email, password_hash=password_hash, country=country, plan=plan)
        .on_conflict_do_nothing()
        .returning(*_ACCOUNT_COLUMNS)
    )
    async with engine.begin() as connection:
        row = (await connection.execute(statement)).one_or_none()
        if row is None:
            return None
        await connection.execute(
            insert(account_roles).values(account_id=row.id, role="account_owner")
        )
        return Account.from_row(row._mapping)


async def credentials_by_email(engine: AsyncEngine, email: str) -> tuple[Account, str] | None:
    query = select(*_ACCOUNT_COLUMNS, accounts.c.password_hash).where(
        func.lower(accounts.c.email) == email.lower()
    )
    async with engine.connect() as connection:
        row = (await connection.execute(query)).one_or_none()
    if row is None:
        return None
    values = dict(row._mapping)
    password_hash = values.pop("password_hash")
    return Account.from_row(values), password_hash


async def password_hash(engine: AsyncEngine, account_id: UUID) -> str | None:
    async with engine.connect() as connection:
        found: str | None = await connection.scalar(
            select(accounts.c.password_hash).where(accounts.c.id == account_id)
        )
        return found


async def accounts_by_id(engine: AsyncEngine, ids: Sequence[UUID]) -> dict[UUID, Account]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(*_ACCOUNT_COLUMNS).where(accounts.c.id.in_(ids)))
        return {row.id: Account.from_row(row._mapping) for row in rows}


async def roles_by_account(engine: AsyncEngine, ids: Sequence[UUID]) -> dict[UUID, set[str]]:
    query = select(account_roles.c.account_id, account_roles.c.role).where(
        account_roles.c.account_id.in_(ids)
    )
    grouped: dict[UUID, set[str]] = defaultdict(set)
    async with engine.connect() as connection:
        for account_id, role in await connection.execute(query):
            grouped[account_id].add(role)
    return grouped


async def grant_role(engine: AsyncEngine, email: str, role: str) -> bool:
    """Grant a role by email; False when no such account exists. Granting twice is harmless."""
    async with engine.begin() as connection:
        account_id = await connection.scalar(
            select(accounts.c.id).where(func.lower(accounts.c.email) == email.lower())
        )
        if account_id is None:
            return False
        await connection.execute(
            insert(account_roles).values(account_id=account_id, role=role).on_conflict_do_nothing()
        )
        return True


def _session_identity_query() -> Select[Any]:
    roles = (
        select(func.coalesce(func.array_agg(account_roles.c.role), []))
        .where(account_roles.c.account_id == accounts.c.id)
        .scalar_subquery()
    )
    profile = profiles.alias("profile")
    return (
        select(
            *_ACCOUNT_COLUMNS,
            roles.label("roles"),
            *[
                column.label(f"profile_{column.name}")
                for column in profile.c
                if column.name != "pin_hash"
            ],
            profile.c.pin_hash.is_not(None).label("profile_locked"),
        )
        .select_from(
            accounts.outerjoin(
                profile,
                (profile.c.id == bindparam("profile_id", type_=profile.c.id.type))
                & (profile.c.account_id == accounts.c.id),
            )
        )
        .where(accounts.c.id == bindparam("account_id", type_=accounts.c.id.type))
    )


# Built once: every signed-in request that misses the viewer cache runs it.
_SESSION_IDENTITY = _session_identity_query()


async def session_identity(
    engine: AsyncEngine, account_id: UUID, profile_id: UUID | None
) -> tuple[Account, set[str], Profile | None] | None:
    """The account, its stored roles and (if it is the account's) the profile, in one query."""
    # The values go in as execute()'s parameters: .params() would build a new statement,
    # whose cache key SQLAlchemy then computes again on every call.
    parameters = {"account_id": account_id, "profile_id": profile_id}
    async with engine.connect() as connection:
        row = (await connection.execute(_SESSION_IDENTITY, parameters)).one_or_none()
    if row is None:
        return None
    values = row._mapping
    account = Account.from_row(values)
    active = None
    if values["profile_id"] is not None:
        active = Profile(
            **{field: values[f"profile_{field}"] for field in Profile.__dataclass_fields__}
        )
    return account, set(values["roles"]), active
