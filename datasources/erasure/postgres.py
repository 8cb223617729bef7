"""A person's rows in PostgreSQL: deleted (or, for aggregates, made anonymous) in one
transaction, and any left found by a scan of every table.

Experiment totals are read from the per-profile rows of ``experiment_profiles``, so those
rows stay, under a fresh random id each (no two of them can be linked to one another or to
anyone): every experiment's totals and means are what they were. Trending counters hold no
person (only the day's "seen" markers in Redis do, which go).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, bindparam, delete, func, or_, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable
from sqlalchemy.types import Text

from datasources import subject_keys
from datasources.erasure.person import Person
from datasources.personalization.embedding_tables import profile_embeddings
from datasources.tables import (
    account_roles,
    accounts,
    event_outbox,
    experiment_profiles,
    experiments,
    my_list,
    profiles,
    ratings,
    viewing_progress,
    viewing_titles,
)

# The tables rows of a profile sit in (by ``profile_id``), deleted before the profile.
PROFILE_TABLES: tuple[Table, ...] = (
    my_list,
    ratings,
    viewing_progress,
    viewing_titles,
    profile_embeddings,
)


async def _count(connection: AsyncConnection, statement: Executable) -> int:
    return int((await connection.execute(statement)).rowcount)


async def erase(engine: AsyncEngine, person: Person) -> dict[str, int]:
    """Remove the person from PostgreSQL, all or nothing; rows touched by table."""
    profile_ids = list(person.profile_ids)
    ids_text = [str(id_) for id_ in profile_ids]
    touched: dict[str, int] = {}
    async with engine.begin() as connection:
        # Events not yet relayed: the outbox holds them in the clear.
        touched["event_outbox"] = await _count(
            connection,
            delete(event_outbox).where(
                or_(
                    *(
                        func.lower(event_outbox.c.payload.cast(Text)).contains(n, autoescape=True)
                        for n in person.needles()
                    )
                )
            ),
        )
        touched["experiment_profiles (made anonymous)"] = await _count(
            connection,
            update(experiment_profiles)
            .where(experiment_profiles.c.profile_id.in_(profile_ids))
            .values(profile_id=func.gen_random_uuid()),
        )
        forced = experiments.c.definition["forced_variants"]
        touched["experiments (forced variants)"] = await _count(
            connection,
            update(experiments)
            .where(forced.has_any(bindparam("ids", ids_text, ARRAY(Text))))
            .values(
                definition=func.jsonb_set(
                    experiments.c.definition,
                    text("'{forced_variants}'"),
                    forced.op("-")(bindparam("gone", ids_text, ARRAY(Text))),
                )
            ),
        )
        touched["subject_keys"] = await subject_keys.delete_keys(
            connection,
            account_id=person.account_id if person.whole_account else None,
            subject_ids=profile_ids,
        )
        for table in PROFILE_TABLES:
            touched[table.name] = await _count(
                connection, delete(table).where(table.c.profile_id.in_(profile_ids))
            )
        touched["profiles"] = await _count(
            connection,
            delete(profiles).where(
                profiles.c.id.in_(profile_ids), profiles.c.account_id == person.account_id
            ),
        )
        if person.whole_account:
            touched["account_roles"] = await _count(
                connection,
                delete(account_roles).where(account_roles.c.account_id == person.account_id),
            )
            touched["accounts"] = await _count(
                connection, delete(accounts).where(accounts.c.id == person.account_id)
            )
    subject_keys.forget_cached_keys()
    return touched


async def traces(engine: AsyncEngine, needles: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(rows, rows whose text holds one of ``needles``) of every table of the database: a
    full scan of every table (an audit, not a request's work), so that a table added later
    is searched too. Keys are bytes and never match; anonymous rows hold random ids."""
    lowered = [needle.lower() for needle in needles]
    # Ids and emails are plain text: only an email's "_" is a LIKE wildcard to escape.
    patterns = ["%" + needle.replace("_", "\\_") + "%" for needle in lowered]
    found: dict[str, tuple[int, int]] = {}
    async with engine.connect() as connection:
        names = (
            await connection.scalars(
                text(
                    "SELECT quote_ident(table_name) FROM information_schema.tables"
                    " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                    " AND table_name <> 'alembic_version' ORDER BY table_name"
                )
            )
        ).all()
        for name in names:
            rows, matching = (
                await connection.execute(
                    text(
                        "SELECT count(*), count(*) FILTER (WHERE lower(t::text) LIKE ANY(:p))"
                        f" FROM {name} AS t"
                    ),
                    {"p": patterns},
                )
            ).one()
            found[str(name)] = (int(rows), int(matching))
    return found
