"""What the benchmarks share.

* here: the paths, the progress log, loopback checks, the machine, the command line, and the
  run's folder (removed on the way out; SIGTERM unwinds as Ctrl-C does);
* ``bench.harness.stores``: PostgreSQL, Redis and NATS (Kafka, Cassandra), the machine's when
  FLIX_BENCH_* names them, else private ones (server/embedded.py's ChildServers);
* ``bench.harness.api``: the API as a child process, GraphQL requests, sign-up and sign-in;
* ``bench.harness.tallies``: bounded concurrent batches, percentiles, CPU per request, ratios;
* ``bench.harness.wire``: a lean keep-alive HTTP/1.1 client for load (httpx costs the bench
  more CPU per request than the server it measures);
* ``bench.harness.proctree``: the API's CPU by process role, workers that died included.

Only the standard library here, so that the benches with no servers load nothing more.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / ".flix"  # the MovieLens download is cached here
CACHE_DIR = DATA_DIR / "cache"
_BEGAN = time.monotonic()


def log(message: str) -> None:
    """A progress line on stderr (stdout is the JSON report's), with the seconds so far."""
    print(f"[bench {time.monotonic() - _BEGAN:6.1f}s] {message}", file=sys.stderr, flush=True)


def require_loopback(url: str) -> str:
    """``url`` itself, or SystemExit when its host is not a loopback address: a bench sends
    load to this machine only."""
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing a non-loopback address: {url}")
    return url


def with_path(url: str, path: str, scheme: str | None = None) -> str:
    """``url`` with its path replaced by ``/path`` (a database name, say) and, if given, its
    scheme replaced by ``scheme``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=scheme or parts.scheme, path=f"/{path}"))


def machine() -> dict[str, Any]:
    """What the report says about the machine it ran on."""
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def flix_command(*args: str) -> list[str]:
    """The ``flix`` command line of this virtual environment."""
    return [str(Path(sys.executable).with_name("flix")), *args]


def command_line(doc: str | None) -> argparse.ArgumentParser:
    """The bench's command line, named as it is run (``python -m bench.<name>``), described by
    the first paragraph of its docstring."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    return argparse.ArgumentParser(
        prog=f"python -m {spec.name}" if spec else None,
        description=doc.split("\n\n")[0] if doc else None,
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does


@contextlib.contextmanager
def run_folder(name: str) -> Iterator[tuple[contextlib.ExitStack, Path]]:
    """A temporary folder for the run's servers, logs and data, and the stack that undoes what
    the run starts (in reverse order), on errors, Ctrl-C and SIGTERM too; the folder goes last.
    """
    previous = signal.signal(signal.SIGTERM, _interrupt)
    work = Path(tempfile.mkdtemp(prefix=f"flix-bench-{name}-"))
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(shutil.rmtree, work, True)  # registered first: runs last
            log(f"working under {work}")
            yield stack, work
    finally:
        signal.signal(signal.SIGTERM, previous)
