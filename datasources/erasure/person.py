"""Who is being erased (or checked for): the identifiers their data can be found by."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.tables import accounts, profiles


@dataclass(frozen=True)
class Person:
    """An account with all its profiles, or one profile alone (``account_id`` is then the
    owner's, kept only to scope the deletes: the account itself stays)."""

    account_id: UUID
    profile_ids: tuple[UUID, ...]
    email: str | None  # the account's; None when only a profile goes
    whole_account: bool

    def ids(self) -> list[UUID]:
        """Every id whose rows go: the profiles', and the account's when it goes too."""
        return [*self.profile_ids, *([self.account_id] if self.whole_account else [])]

    def needles(self) -> list[str]:
        """What a trace looks like in free text (JSON, key names): ids and the email, in
        lower case."""
        found = [str(id_) for id_ in self.ids()]
        if self.email:
            found.append(self.email.lower())
        return found


async def account_person(engine: AsyncEngine, account_id: UUID) -> Person | None:
    async with engine.connect() as connection:
        email = await connection.scalar(select(accounts.c.email).where(accounts.c.id == account_id))
        if email is None:
            return None
        owned = select(profiles.c.id).where(profiles.c.account_id == account_id)
        profile_ids = tuple((await connection.scalars(owned)).all())
    return Person(account_id, profile_ids, str(email), whole_account=True)


async def profile_person(engine: AsyncEngine, profile_id: UUID) -> Person | None:
    async with engine.connect() as connection:
        owner = await connection.scalar(
            select(profiles.c.account_id).where(profiles.c.id == profile_id)
        )
    if owner is None:
        return None
    return Person(owner, (profile_id,), None, whole_account=False)


async def find_person(engine: AsyncEngine, identifier: str) -> Person | None:
    """An account by id or email, or a profile by id; None if nothing matches."""
    if "@" in identifier:
        async with engine.connect() as connection:
            found = await connection.scalar(
                select(accounts.c.id).where(
                    func.lower(accounts.c.email) == identifier.strip().lower()
                )
            )
        return None if found is None else await account_person(engine, found)
    try:
        id_ = UUID(identifier)
    except ValueError:
        return None
    return await account_person(engine, id_) or await profile_person(engine, id_)
