"""A logical export of a Cassandra keyspace's tables, and its import by inserts.

Not a ``nodetool snapshot``: the jar-launched daemon of the tests and the embedded setup has
no JMX tooling here, and a snapshot's SSTables would stay on the node's disk anyway. Each
table is read page by page with ``SELECT JSON`` (Cassandra spells every value itself) and
written as gzipped JSON lines; each line keeps when the row expires (its longest column TTL)
and when it was written (its newest write time), so an import restores retention and
last-write-wins order as they were. An export is not one point in time: a row written while
it runs may or may not be in it (the viewing store's writes are idempotent upserts, so a
restore plus the heartbeats after it converge).

Blocking (the driver's calls): callers run these in a thread.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cassandra.cluster import Cluster, Session
from cassandra.query import SimpleStatement

from datasources.viewing.cassandra import PROTOCOL_VERSION, parse_hosts
from datasources.viewing.cql_migrations import migrate

__all__ = [
    "TableExport",
    "count_rows",
    "drop_keyspace",
    "export_keyspace",
    "import_tables",
    "prepare_keyspace",
    "session",
    "table_names",
    "truncate_tables",
]

# The migrations' own record stays with each keyspace: the target's says what it ran.
_NOT_EXPORTED = frozenset({"cql_migrations"})
_PAGE_ROWS = 1000
_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class TableExport:
    table: str
    rows: int
    path: Path


@contextmanager
def session(hosts: Sequence[str]) -> Iterator[Session]:
    addresses, port = parse_hosts(hosts)
    cluster = Cluster(addresses, port=port, protocol_version=PROTOCOL_VERSION)
    try:
        yield cluster.connect()
    finally:
        cluster.shutdown()


def _name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_names(db: Session, keyspace: str) -> list[str]:
    rows = db.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,)
    )
    return sorted(row.table_name for row in rows if row.table_name not in _NOT_EXPORTED)


def _columns(db: Session, keyspace: str, table: str) -> tuple[list[str], list[str]]:
    """All columns, and the regular ones a TTL and a write time can be read from (not the
    key, not unfrozen collections)."""
    rows = list(
        db.execute(
            "SELECT column_name, kind, type FROM system_schema.columns"
            " WHERE keyspace_name = %s AND table_name = %s",
            (keyspace, table),
        )
    )
    every = sorted(row.column_name for row in rows)
    regular = sorted(
        row.column_name
        for row in rows
        if row.kind == "regular" and not row.type.startswith(("list<", "set<", "map<"))
    )
    return every, regular


def export_keyspace(
    hosts: Sequence[str],
    keyspace: str,
    folder: Path,
    *,
    on_table: Callable[[str, int], None] | None = None,
) -> list[TableExport]:
    """Every table of the keyspace into ``folder/<table>.jsonl.gz``."""
    exports = []
    now = time.time()
    with session(hosts) as db:
        for table in table_names(db, keyspace):
            every, regular = _columns(db, keyspace, table)
            selectors = [_name(c) for c in every]
            selectors += [f'ttl({_name(c)}) AS "ttl.{c}"' for c in regular]
            selectors += [f'writetime({_name(c)}) AS "written.{c}"' for c in regular]
            query = SimpleStatement(
                f"SELECT JSON {', '.join(selectors)} FROM {_name(keyspace)}.{_name(table)}",
                fetch_size=_PAGE_ROWS,
            )
            path = folder / f"{table}.jsonl.gz"
            rows = 0
            with gzip.open(path, "wt", encoding="utf-8") as out:
                for row in db.execute(query, timeout=_TIMEOUT_SECONDS):
                    out.write(json.dumps(_line(json.loads(row[0]), regular, now)) + "\n")
                    rows += 1
            exports.append(TableExport(table, rows, path))
            if on_table is not None:
                on_table(table, rows)
    return exports


def _line(values: dict[str, object], regular: list[str], now: float) -> dict[str, object]:
    ttls = [values.pop(f"ttl.{c}", None) for c in regular]
    written = [values.pop(f"written.{c}", None) for c in regular]
    live = [int(t) for t in ttls if isinstance(t, int)]
    stamps = [int(w) for w in written if isinstance(w, int)]
    return {
        "row": values,
        "expires": now + max(live) if live else None,  # None: lives until deleted
        "written": max(stamps) if stamps else None,
    }


def prepare_keyspace(hosts: Sequence[str], keyspace: str) -> None:
    """Create the keyspace's tables as the viewing store would (its CQL migrations)."""
    with session(hosts) as db:
        migrate(db, keyspace)


def import_tables(
    hosts: Sequence[str],
    keyspace: str,
    files: dict[str, Path],
    *,
    on_table: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Insert each exported table's rows (table -> file); rows whose TTL ran out since the
    export are left out. Returns the rows inserted per table."""
    inserted: dict[str, int] = {}
    with session(hosts) as db:
        for table, path in sorted(files.items()):
            target = f"{_name(keyspace)}.{_name(table)}"
            # DEFAULT UNSET: a column absent from the line writes no tombstone.
            insert = db.prepare(
                f"INSERT INTO {target} JSON ? DEFAULT UNSET USING TTL ? AND TIMESTAMP ?"
            )
            count = 0
            with gzip.open(path, "rt", encoding="utf-8") as lines:
                for text in lines:
                    line = json.loads(text)
                    now = time.time()
                    expires = line["expires"]
                    if expires is not None and expires <= now:
                        continue
                    ttl = 0 if expires is None else max(1, int(expires - now))
                    written = line["written"] or int(now * 1_000_000)
                    db.execute(insert, (json.dumps(line["row"]), ttl, written))
                    count += 1
            inserted[table] = count
            if on_table is not None:
                on_table(table, count)
    return inserted


def count_rows(hosts: Sequence[str], keyspace: str) -> dict[str, int]:
    with session(hosts) as db:
        return {
            table: int(
                db.execute(
                    f"SELECT COUNT(*) FROM {_name(keyspace)}.{_name(table)}",
                    timeout=_TIMEOUT_SECONDS,
                ).one()[0]
            )
            for table in table_names(db, keyspace)
        }


def truncate_tables(hosts: Sequence[str], keyspace: str) -> None:
    """Empty every exported table of the keyspace (a forced restore's first step)."""
    with session(hosts) as db:
        for table in table_names(db, keyspace):
            db.execute(f"TRUNCATE {_name(keyspace)}.{_name(table)}", timeout=_TIMEOUT_SECONDS)


def drop_keyspace(hosts: Sequence[str], keyspace: str) -> None:
    with session(hosts) as db:
        db.execute(f"DROP KEYSPACE IF EXISTS {_name(keyspace)}", timeout=_TIMEOUT_SECONDS)
