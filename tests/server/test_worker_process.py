"""The worker `flix serve` runs: restarted a bounded number of times, stopped on the way out."""

from __future__ import annotations

import os
import sys
import time

from server.worker_process import WorkerProcess

DIES = [sys.executable, "-c", "raise SystemExit(3)"]
RUNS = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_a_dying_worker_is_restarted_then_left_down_loudly() -> None:
    said: list[str] = []
    worker = WorkerProcess(os.environ, said.append, DIES, max_restarts=2, restart_delay=0.1)
    worker.start()
    deadline = time.monotonic() + 30
    while not any("left down" in line for line in said):
        assert time.monotonic() < deadline, said
        time.sleep(0.05)
    worker.stop()
    assert worker.restarts == 2
    assert [line for line in said if "restarting" in line] == [
        "[bold red]flix worker exited (3); restarting it (1 of 2)",
        "[bold red]flix worker exited (3); restarting it (2 of 2)",
    ]


def test_stopping_ends_the_worker_without_a_restart() -> None:
    said: list[str] = []
    worker = WorkerProcess(os.environ, said.append, RUNS, restart_delay=0.1)
    worker.start()
    deadline = time.monotonic() + 30
    while worker.pid is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pid = worker.pid
    worker.stop()
    assert worker.pid is None and worker.restarts == 0 and said == []
    assert not os.path.exists(f"/proc/{pid}")  # stopped and reaped
