"""Keeping the embedded stores up: a child server that dies is started again, on its port
and its data, so `flix serve` on the embedded default heals without an operator.

The watchdog polls from a thread of its own, which also spawns the restarted children: a
child dies with the thread that spawned it (``PR_SET_PDEATHSIG``), and this thread lives as
long as the servers are wanted. It stops before they do, so a deliberate stop is never
mistaken for a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import TracebackType

from server.processes import ChildServer, EmbeddedServerError, log_tail

POLL_SECONDS = 0.5
# A server that will not come back is retried at this pace rather than in a tight loop
# (PostgreSQL refuses to start while a killed postmaster's backends are still exiting).
RETRY_SECONDS = 2.0


class Watchdog:
    def __init__(
        self, servers: Sequence[ChildServer], say: Callable[[str], None], poll: float = POLL_SECONDS
    ) -> None:
        self._servers = servers
        self._say = say
        self._poll = poll
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="flix-watchdog", daemon=True)
        self.restarts = 0

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stopping.wait(self._poll):
            for server in self._servers:
                if self._stopping.is_set():
                    return
                if server.proc is not None and server.proc.poll() is not None:
                    self._revive(server)

    def _revive(self, server: ChildServer) -> None:
        code = server.proc.returncode if server.proc else None
        self._say(f"{server.name} exited ({code}); starting it again…")
        while not self._stopping.is_set():
            try:
                server.start()
            except EmbeddedServerError as error:
                self._say(f"{server.name} did not come back: {error}")
                self._stopping.wait(RETRY_SECONDS)
                continue
            self.restarts += 1
            self._say(f"{server.name} is back on port {server.port}")
            return
        self._say(f"{server.name} left down: stopping; {log_tail(server.log, 5)}")
