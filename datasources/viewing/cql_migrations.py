"""The CQL migrations (``migrations/cql/*.cql``), applied once per keyspace, in name order.

Applied scripts are recorded in the keyspace's ``cql_migrations`` table, so bringing an
up-to-date keyspace up to date is two reads and no schema statement: every API worker and
every test opens a store, and Cassandra's schema changes are slow. The scripts themselves
stay idempotent (``IF NOT EXISTS``), so two processes migrating at once, or a run that died
half-way, do no harm.
"""

from __future__ import annotations

import re
from pathlib import Path

from cassandra.cluster import Session

CQL_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "cql"
# Cassandra's own rule for unquoted keyspace names; it is spliced into statements.
_KEYSPACE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,47}")


def statements(script: Path) -> list[str]:
    """A script's statements: ``--`` comment lines dropped, split on semicolons."""
    lines = [line for line in script.read_text().splitlines() if not line.lstrip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


def _applied(session: Session, keyspace: str) -> set[str]:
    recorded = session.execute(
        "SELECT table_name FROM system_schema.tables"
        " WHERE keyspace_name = %s AND table_name = 'cql_migrations'",
        (keyspace,),
    ).one()
    if recorded is None:
        return set()
    return {row.name for row in session.execute(f"SELECT name FROM {keyspace}.cql_migrations")}


def migrate(session: Session, keyspace: str) -> list[str]:
    """Apply the scripts ``keyspace`` lacks (creating it first); returns their names.

    Blocking; leaves the session using ``keyspace``.
    """
    if not _KEYSPACE.fullmatch(keyspace):
        raise ValueError(f"not a valid Cassandra keyspace name: {keyspace!r}")
    done = _applied(session, keyspace)
    pending = [s for s in sorted(CQL_MIGRATIONS.glob("*.cql")) if s.name not in done]
    if pending:
        session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication ="
            " {'class': 'SimpleStrategy', 'replication_factor': 1}"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {keyspace}.cql_migrations"
            " (name text PRIMARY KEY, applied_at timestamp)"
        )
    session.set_keyspace(keyspace)
    for script in pending:
        for statement in statements(script):
            session.execute(statement)
        session.execute(
            "INSERT INTO cql_migrations (name, applied_at) VALUES (%s, toTimestamp(now()))",
            (script.name,),
        )
    return [script.name for script in pending]
