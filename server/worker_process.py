"""The ``flix worker`` child that ``flix serve`` runs beside its web workers.

When it dies, the API goes on serving and nothing is lost: a publish the broker did not take
waits in the outbox, and the consumers resume from their durables. So a death is reported
loudly and the worker is restarted, ``MAX_RESTARTS`` times at most, ``RESTART_DELAY_SECONDS``
apart; past that it is left down (a worker that fails at once each time would only fill the
log) and serving goes on without the relay and the consumers until ``flix serve`` restarts.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from server.processes import spawn

WORKER_ARGV = [sys.executable, "-c", "from server.cli import main; main()", "worker"]
MAX_RESTARTS = 5
RESTART_DELAY_SECONDS = 2.0
# The worker's own shutdown is bounded (server/worker.py); this covers the stores closing.
STOP_TIMEOUT_SECONDS = 15.0


class WorkerProcess:
    """Start, watch and stop the worker; it gets the given environment and our stdout/stderr."""

    def __init__(
        self,
        env: Mapping[str, str],
        say: Callable[[str], None],
        argv: list[str] = WORKER_ARGV,
        max_restarts: int = MAX_RESTARTS,
        restart_delay: float = RESTART_DELAY_SECONDS,
    ) -> None:
        self._env = dict(env)
        self._say = say
        self._argv = argv
        self._max_restarts = max_restarts
        self._restart_delay = restart_delay
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # between spawning a worker and stopping it
        self._proc: subprocess.Popen[bytes] | None = None
        # The watcher spawns every worker: a child is tied to the life of the thread that
        # spawned it (PR_SET_PDEATHSIG), and this one lives until the worker is stopped.
        self._watcher = threading.Thread(target=self._watch, name="flix-worker", daemon=True)
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        self._watcher.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._say(f"[red]flix worker did not stop in {STOP_TIMEOUT_SECONDS:.0f} s; killed")
                proc.kill()
                proc.wait()
        self._watcher.join(STOP_TIMEOUT_SECONDS)

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            self._proc = spawn(self._argv, None, Path.cwd(), None, signal.SIGTERM, self._env)
            return self._proc

    def _watch(self) -> None:
        while (proc := self._spawn()) is not None:
            code = proc.wait()
            if self._stopping.is_set():
                return
            if self.restarts >= self._max_restarts:
                self._say(
                    f"[bold red]flix worker exited ({code}) after {self.restarts} restarts; "
                    "left down: no outbox relay and no event consumers until flix serve "
                    "restarts (events wait in the outbox and on the broker)"
                )
                return
            self.restarts += 1
            self._say(
                f"[bold red]flix worker exited ({code}); restarting it "
                f"({self.restarts} of {self._max_restarts})"
            )
            if self._stopping.wait(self._restart_delay):
                return
