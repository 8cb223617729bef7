"""`flix serve` with no URLs: embedded stores, a real query, a clear error for a busy folder,
and the `flix worker` it runs beside the API."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

pytestmark = pytest.mark.embedded
FLIX = [sys.executable, "-c", "from server.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment() -> dict[str, str]:
    """This environment minus any store URL, so serve must start its own."""
    return {key: value for key, value in os.environ.items() if not key.startswith("FLIX_")}


def _wait_ready(port: int, process: subprocess.Popen[str], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("flix serve did not become ready in time")


def _serve(data_dir: Path, options: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*FLIX, "serve", "--data-dir", str(data_dir), *options],
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def _serving(
    data_dir: Path, options: list[str]
) -> Iterator[tuple[int, Path, subprocess.Popen[str]]]:
    port = _free_port()
    process = _serve(data_dir, ["--port", str(port), *options])
    try:
        _wait_ready(port, process)
        yield port, data_dir, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# Starting `flix serve` (initdb, migrations, the demo catalogue, the workers) takes ~10 s: the
# tests that leave it running share one, on two web workers so the metrics test has two to
# add up; the ones that stop it or need other options start their own.
@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[int, Path, subprocess.Popen[str]]]:
    with _serving(tmp_path_factory.mktemp("serve"), ["--workers", "2"]) as served:
        yield served


@pytest.fixture
def served(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[int, Path, subprocess.Popen[str]]]:
    with _serving(tmp_path, getattr(request, "param", [])) as served:  # more options
        yield served


def test_embedded_default_answers_queries_and_stops_cleanly_with_its_worker(
    served: tuple[int, Path, subprocess.Popen[str]],
) -> None:
    port, _, process = served
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    register = (
        'mutation { register(input: {email: "e@example.com", password: "long enough",'
        ' country: "US", plan: BASIC}) { token } }'
    )
    assert "errors" not in client.post("/graphql", json={"query": register}).json()
    me = client.post("/graphql", json={"query": "{ me { email } }"}).json()  # session cookie
    assert me == {"data": {"me": {"email": "e@example.com"}}, "extensions": {"cost": 1}}
    workers = _workers(process.pid)
    assert len(workers) == 1
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert process.wait(30) == 0
    assert not _running(workers[0])


def test_second_serve_on_the_same_folder_says_it_is_in_use(
    shared: tuple[int, Path, subprocess.Popen[str]],
) -> None:
    _, data_dir, _ = shared
    second = subprocess.run(
        [*FLIX, "serve", "--port", str(_free_port()), "--data-dir", str(data_dir)],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert "in use" in second.stderr


def _children(pid: int, runs: Callable[[list[str]], bool]) -> list[int]:
    """The process's children whose command line ``runs`` accepts (from Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().decode().split("\0")[:-1]
        except (OSError, ValueError):
            continue  # not a process, or gone meanwhile
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the name: ppid
        if parent == pid and argv and runs(argv):
            found.append(int(entry.name))
    return found


def _workers(pid: int) -> list[int]:
    """The process's `flix worker` children."""
    return _children(pid, lambda argv: argv[-2:] == [FLIX[-1], "worker"])


def _program(name: str) -> Callable[[list[str]], bool]:
    # Redis rewrites its title into argv[0] ("redis-server 127.0.0.1:port").
    return lambda argv: Path(argv[0].split(" ")[0]).name == name


def _running(pid: int) -> bool:
    """Alive and not yet reaped: a zombie has stopped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("served", [["--no-worker"]], indirect=True)
def test_serve_without_a_worker_starts_none(
    served: tuple[int, Path, subprocess.Popen[str]],
) -> None:
    _, _, process = served
    assert _workers(process.pid) == []


def _readyz(port: int) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=3).status_code
    except httpx.TransportError:
        return 0


@pytest.mark.parametrize("program", ["postgres", "redis-server", "nats-server"])
def test_a_crashed_store_is_restarted_and_readyz_recovers_by_itself(
    shared: tuple[int, Path, subprocess.Popen[str]], program: str
) -> None:
    port, _, process = shared
    [child] = _children(process.pid, _program(program))
    os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while not (
        _readyz(port) == 200 and _children(process.pid, _program(program)) not in ([], [child])
    ):
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, f"/readyz did not recover after {program} died"
        time.sleep(0.5)


def _count(port: int, series: str) -> float:
    """One counter's value in a /metrics scrape, 0 before it is first counted."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    return 0.0


def test_metrics_add_up_across_the_web_workers(
    shared: tuple[int, Path, subprocess.Popen[str]],
) -> None:
    port, _, _ = shared
    series = 'flix_operation_seconds_count{operation="Query.me"}'
    before = _count(port, series)
    queries = 12
    for _ in range(queries):  # new connections: the kernel spreads them over both workers
        httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ me { id } }"}, timeout=10)
    for _ in range(4):  # whichever worker answers the scrape, it counts every worker's
        assert _count(port, series) == before + queries
