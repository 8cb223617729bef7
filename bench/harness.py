"""What the benchmarks share: loopback checks, free ports, `flix serve` as a child process,
waiting for /readyz, stopping children, latency percentiles and the bench database.

The benchmarks are run as scripts (``.venv/bin/python bench/<name>.py``), which puts this folder
first on ``sys.path``: they import this module as ``harness``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

DATA_DIR = Path(__file__).resolve().parents[1] / ".flix"  # the MovieLens download is cached here
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
READY_SECONDS = 30.0


def log(message: str) -> None:
    """A progress line on stderr (stdout is the JSON report's)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def require_loopback(url: str) -> str:
    """``url`` itself, or SystemExit when its host is not a loopback address."""
    host = urlsplit(url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing a non-loopback address: {url}")
    return url


def admin_url() -> str:
    """The PostgreSQL admin libpq URL: FLIX_BENCH_POSTGRES, or the local ``postgres``."""
    return require_loopback(os.environ.get("FLIX_BENCH_POSTGRES", DEFAULT_ADMIN_URL))


def with_path(url: str, path: str, scheme: str | None = None) -> str:
    """``url`` with its path replaced by ``/path`` (a database name, say) and, if given, its
    scheme replaced by ``scheme``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=scheme or parts.scheme, path=f"/{path}"))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def machine() -> dict[str, Any]:
    """What the report says about the machine it ran on."""
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


# --- latencies and CPU ----------------------------------------------------------------------


def percentile(sorted_ms: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted samples; 0.0 when there are none."""
    if not sorted_ms:
        return 0.0
    index = min(len(sorted_ms) - 1, max(0, round(fraction * len(sorted_ms)) - 1))
    return sorted_ms[index]


def latency_summary(sorted_ms: list[float]) -> dict[str, float]:
    """``p50_ms`` and ``p99_ms`` of sorted samples, rounded to the microsecond."""
    return {
        "p50_ms": round(percentile(sorted_ms, 0.50), 3),
        "p99_ms": round(percentile(sorted_ms, 0.99), 3),
    }


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, …)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_of(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc; 0.0 elsewhere)."""
    try:
        return _cpu_of(_stat_fields(pid))
    except OSError:
        return 0.0


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (uvicorn's workers) so far
    (Linux /proc; 0.0 elsewhere)."""
    cpu: dict[int, float] = {}
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = _stat_fields(entry.name)
        except OSError:
            continue  # gone meanwhile
        cpu[int(entry.name)] = _cpu_of(fields)
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, family = 0.0, [pid]
    while family:
        member = family.pop()
        total += cpu.get(member, 0.0)
        family.extend(children.get(member, []))
    return total


# --- child processes ------------------------------------------------------------------------


def flix_command(*args: str) -> list[str]:
    """The ``flix`` command line of this virtual environment."""
    return [str(Path(sys.executable).with_name("flix")), *args]


def stop(
    process: subprocess.Popen[bytes],
    timeout: float = 15.0,
    kill_timeout: float = 5.0,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> None:
    """Send ``stop_signal`` and wait up to ``timeout`` seconds; then kill it and wait up to
    ``kill_timeout`` more."""
    if process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=kill_timeout)


@contextmanager
def serve_flix(
    env: dict[str, str], port: int, extra_args: Iterable[str] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """``flix serve`` on 127.0.0.1:port with ``env``, stopped on the way out; the end of its
    log goes to stderr if the body fails."""
    command = flix_command("serve", "--port", str(port), *extra_args)
    log(f"starting {' '.join(command)}")
    with tempfile.TemporaryFile() as server_log:
        server = subprocess.Popen(command, env=env, stdout=server_log, stderr=subprocess.STDOUT)
        try:
            yield server
        except BaseException:
            server_log.seek(0)
            tail = server_log.read().decode(errors="replace")[-4000:]
            log(f"failed; the server's log ends with:\n{tail}")
            raise
        finally:
            stop(server)


async def wait_ready(
    client: httpx.AsyncClient,
    process: subprocess.Popen[bytes],
    seconds: float = READY_SECONDS,
    name: str = "the server",
) -> None:
    """Poll ``client``'s /readyz until it answers 200; RuntimeError if ``process`` exits or
    ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with status {process.returncode}")
        with suppress(httpx.TransportError):
            if (await client.get("/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"/readyz was not 200 within {seconds:.0f} s")


def client_limits(concurrency: int) -> httpx.Limits:
    """As many keep-alive connections as requests in flight."""
    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)


# --- the bench database ---------------------------------------------------------------------


async def drop_database(admin: str, name: str) -> None:
    """Drop database ``name`` (its sessions too) if it exists."""
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await connection.close()


async def recreate_database(admin: str, name: str) -> None:
    """An empty database ``name``, whatever was there before."""
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()
