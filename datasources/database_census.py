"""What a PostgreSQL database holds, for proving a backup restores: its tables, their row
counts, a fingerprinted sample of their rows, and rows whose foreign keys point nowhere.

Every table of the ``public`` schema counts (the app's, Alembic's version table, and any
other package adds), read from the catalog rather than from datasources/tables.py: a
backup must cover what is there, not what the code knows of.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from datasources.postgres_dumps import libpq_url

__all__ = [
    "Census",
    "Orphans",
    "TableCensus",
    "census",
    "connect",
    "create_database",
    "database_name",
    "drop_database",
    "exported_snapshot",
    "find_orphans",
    "row_digests",
    "table_names",
    "with_database",
]

SAMPLE_ROWS = 20

# A row's fingerprint: jsonb orders its keys and spells each value one way, so the same
# row restored anywhere on the same major version fingerprints the same.
_DIGEST = "md5(to_jsonb(t)::text)"


@dataclass(frozen=True)
class TableCensus:
    name: str
    rows: int
    primary_key: tuple[str, ...]
    # Primary key (as JSON text) -> row fingerprint, for up to SAMPLE_ROWS rows.
    sample: dict[str, str]


@dataclass(frozen=True)
class Census:
    tables: tuple[TableCensus, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {table.name: table.rows for table in self.tables}


@dataclass(frozen=True)
class Orphans:
    constraint: str
    table: str
    references: str
    rows: int


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def with_database(database_url: str, name: str) -> str:
    """The same server and login, another database."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@asynccontextmanager
async def connect(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(libpq_url(database_url), timeout=10)
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def exported_snapshot(database_url: str) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """A read-only repeatable-read transaction and its exported snapshot id, held open until
    the block ends: pg_dump --snapshot=<id> then dumps exactly what this connection counts."""
    async with connect(database_url) as connection:
        transaction = connection.transaction(isolation="repeatable_read", readonly=True)
        await transaction.start()
        try:
            snapshot = str(await connection.fetchval("SELECT pg_export_snapshot()"))
            yield connection, snapshot
        finally:
            await transaction.rollback()


async def table_names(connection: asyncpg.Connection) -> list[str]:
    rows = await connection.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"""
    )
    return [row["relname"] for row in rows]


async def _primary_key(connection: asyncpg.Connection, table: str) -> tuple[str, ...]:
    rows = await connection.fetch(
        """SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = $1::regclass AND i.indisprimary
           ORDER BY array_position(i.indkey::int2[], a.attnum)""",
        f"public.{quote(table)}",
    )
    return tuple(row["attname"] for row in rows)


def _key_expression(primary_key: Sequence[str]) -> str:
    return f"jsonb_build_array({', '.join('t.' + quote(c) for c in primary_key)})::text"


async def census(connection: asyncpg.Connection, *, sample_rows: int = SAMPLE_ROWS) -> Census:
    """Every table's row count and a random sample of its rows' fingerprints (tables without
    a primary key are counted, not sampled)."""
    tables = []
    for name in await table_names(connection):
        rows = int(await connection.fetchval(f"SELECT count(*) FROM public.{quote(name)}"))
        primary_key = await _primary_key(connection, name)
        sample: dict[str, str] = {}
        if primary_key and rows:
            picked = await connection.fetch(
                f"SELECT {_key_expression(primary_key)} AS key, {_DIGEST} AS digest "
                f"FROM public.{quote(name)} t ORDER BY random() LIMIT $1",
                sample_rows,
            )
            sample = {row["key"]: row["digest"] for row in picked}
        tables.append(TableCensus(name, rows, primary_key, sample))
    return Census(tuple(tables))


async def row_digests(
    connection: asyncpg.Connection, table: str, primary_key: Sequence[str], keys: Sequence[str]
) -> dict[str, str]:
    """Fingerprints of the rows with these primary keys (JSON text, as in a census); a key
    with no row is absent from the answer."""
    if not keys:
        return {}
    rows = await connection.fetch(
        f"SELECT key, digest FROM (SELECT {_key_expression(primary_key)} AS key, "
        f"{_DIGEST} AS digest FROM public.{quote(table)} t) s WHERE key = ANY($1::text[])",
        list(keys),
    )
    return {row["key"]: row["digest"] for row in rows}


async def find_orphans(connection: asyncpg.Connection) -> list[Orphans]:
    """For each foreign key of the public schema, the rows whose (non-null) reference has no
    row to point at. A database whose constraints hold answers zeros; one restored from an
    archive with constraints dropped or not validated may not."""
    constraints = await connection.fetch(
        """SELECT con.conname, child.relname AS child, parent.relname AS parent,
                  ARRAY(SELECT attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                        JOIN pg_attribute ON attrelid = con.conrelid AND attnum = k.n
                        ORDER BY k.i) AS child_columns,
                  ARRAY(SELECT attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                        JOIN pg_attribute ON attrelid = con.confrelid AND attnum = k.n
                        ORDER BY k.i) AS parent_columns
           FROM pg_constraint con
           JOIN pg_class child ON child.oid = con.conrelid
           JOIN pg_class parent ON parent.oid = con.confrelid
           JOIN pg_namespace n ON n.oid = child.relnamespace
           WHERE con.contype = 'f' AND n.nspname = 'public'
           ORDER BY child.relname, con.conname"""
    )
    found = []
    for row in constraints:
        pairs = list(zip(row["child_columns"], row["parent_columns"], strict=True))
        present = " AND ".join(f"c.{quote(child)} IS NOT NULL" for child, _ in pairs)
        matches = " AND ".join(f"p.{quote(parent)} = c.{quote(child)}" for child, parent in pairs)
        count = await connection.fetchval(
            f"SELECT count(*) FROM public.{quote(row['child'])} c WHERE {present} AND NOT "
            f"EXISTS (SELECT 1 FROM public.{quote(row['parent'])} p WHERE {matches})"
        )
        found.append(Orphans(row["conname"], row["child"], row["parent"], int(count)))
    return found


async def create_database(connection: asyncpg.Connection, name: str) -> None:
    await connection.execute(f"CREATE DATABASE {quote(name)}")


async def drop_database(connection: asyncpg.Connection, name: str) -> None:
    await connection.execute(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
