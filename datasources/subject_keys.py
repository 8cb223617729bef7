"""The per-person keys that seal personal fields in the append-only stores (crypto-shredding).

One key per subject: a profile (most events name one) or an account (sign-ins, audit records).
A profile's key belongs to its account too, so erasing an account deletes every key of its
profiles with its own. A key is made the first time something of its subject is sealed, and
only for a subject that exists: nothing is ever sealed for someone already erased.

Keys are cached in this process for ``CACHE_SECONDS`` (every event would otherwise cost a
query); an erasure here clears the cache at once, and another process's copy expires within
that time.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete, exists, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Subquery

from datasources.tables import accounts, profiles, subject_keys

KEY_BYTES = 32  # AES-256
CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class SubjectKey:
    key_id: UUID
    key: bytes


class _Cache:
    """Keys by subject and by key id, each entry good for ``CACHE_SECONDS``. A key id found
    missing is remembered as missing too: a deleted key never comes back."""

    def __init__(self) -> None:
        self.by_subject: dict[UUID, tuple[SubjectKey, float]] = {}
        self.by_key_id: dict[UUID, tuple[SubjectKey | None, float]] = {}

    def subject(self, subject_id: UUID) -> SubjectKey | None:
        found = self.by_subject.get(subject_id)
        return found[0] if found and found[1] > time.monotonic() else None

    def key_id(self, key_id: UUID) -> tuple[bool, SubjectKey | None]:
        found = self.by_key_id.get(key_id)
        if found and found[1] > time.monotonic():
            return True, found[0]
        return False, None

    def keep(self, subject_id: UUID | None, key_id: UUID, key: SubjectKey | None) -> None:
        until = time.monotonic() + CACHE_SECONDS
        if subject_id is not None and key is not None:
            self.by_subject[subject_id] = (key, until)
        self.by_key_id[key_id] = (key, until)

    def clear(self) -> None:
        self.by_subject.clear()
        self.by_key_id.clear()


_cache = _Cache()


def forget_cached_keys() -> None:
    """Drop every key this process holds: what an erasure does right after deleting keys."""
    _cache.clear()


def _owner(subject_id: UUID) -> Subquery:
    """The account a subject belongs to: the profile's account, or the account itself."""
    return union_all(
        select(profiles.c.account_id.label("account_id")).where(profiles.c.id == subject_id),
        select(accounts.c.id.label("account_id")).where(accounts.c.id == subject_id),
    ).subquery()


async def key_for(engine: AsyncEngine, subject_id: UUID) -> SubjectKey | None:
    """The subject's key, made now if it has none; None when no such profile or account is
    (any longer) stored, so that its fields are dropped instead of sealed."""
    if (cached := _cache.subject(subject_id)) is not None:
        return cached
    owner = _owner(subject_id)
    made = (
        insert(subject_keys)
        .from_select(
            ["subject_id", "account_id", "key_id", "key"],
            select(
                literal(subject_id).label("subject_id"),
                owner.c.account_id,
                literal(uuid.uuid4()).label("key_id"),
                literal(secrets.token_bytes(KEY_BYTES)).label("key"),
            ).limit(1),
        )
        .on_conflict_do_nothing(index_elements=["subject_id"])
    )
    found = select(subject_keys.c.key_id, subject_keys.c.key).where(
        subject_keys.c.subject_id == subject_id
    )
    try:
        async with engine.begin() as connection:
            await connection.execute(made)
            row = (await connection.execute(found)).one_or_none()
    except IntegrityError:  # the account went (erased) between the lookup and the insert
        return None
    if row is None:
        return None
    key = SubjectKey(row.key_id, bytes(row.key))
    _cache.keep(subject_id, key.key_id, key)
    return key


async def keys_by_id(engine: AsyncEngine, key_ids: Iterable[UUID]) -> dict[UUID, SubjectKey]:
    """The keys that still exist among ``key_ids`` (an erased person's are gone)."""
    wanted = set(key_ids)
    known: dict[UUID, SubjectKey] = {}
    missing: list[UUID] = []
    for key_id in wanted:
        cached, key = _cache.key_id(key_id)
        if not cached:
            missing.append(key_id)
        elif key is not None:
            known[key_id] = key
    if missing:
        query = select(subject_keys.c.key_id, subject_keys.c.key).where(
            subject_keys.c.key_id.in_(missing)
        )
        async with engine.connect() as connection:
            rows = {row.key_id: bytes(row.key) for row in await connection.execute(query)}
        for key_id in missing:
            key = SubjectKey(key_id, rows[key_id]) if key_id in rows else None
            _cache.keep(None, key_id, key)
            if key is not None:
                known[key_id] = key
    return known


async def delete_keys(
    connection: AsyncConnection, *, account_id: UUID | None = None, subject_ids: Sequence[UUID] = ()
) -> int:
    """Delete an account's keys (its profiles' too), or the given subjects', in the caller's
    transaction, and keys whose subject is no longer stored at all (one a seal made while
    its profile was being deleted); how many went. Clear the cache after COMMIT."""
    removed = 0
    if account_id is not None:
        gone = delete(subject_keys).where(subject_keys.c.account_id == account_id)
        removed += (await connection.execute(gone)).rowcount
    if subject_ids:
        gone = delete(subject_keys).where(subject_keys.c.subject_id.in_(subject_ids))
        removed += (await connection.execute(gone)).rowcount
    orphaned = delete(subject_keys).where(
        ~exists().where(profiles.c.id == subject_keys.c.subject_id),
        ~exists().where(accounts.c.id == subject_keys.c.subject_id),
    )
    removed += (await connection.execute(orphaned)).rowcount
    return removed


async def key_ids_of(
    engine: AsyncEngine, *, account_id: UUID | None = None, subject_ids: Sequence[UUID] = ()
) -> set[UUID]:
    """The key ids an account (with its profiles) or the given subjects still have."""
    query = select(subject_keys.c.key_id).where(
        subject_keys.c.account_id == account_id
        if account_id is not None
        else subject_keys.c.subject_id.in_(subject_ids)
    )
    async with engine.connect() as connection:
        return set((await connection.scalars(query)).all())
