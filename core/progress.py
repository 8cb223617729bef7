"""How long-running work (encoding, backups, archives, jobs) reports its progress, without
knowing who shows it.

The CLI draws rich progress bars from these calls; the worker, tests and the demo pass
nothing (``NoProgress``).
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, key: str, description: str, total: float) -> None:
        """A task begins; ``total`` is in its own units (seconds of media, or steps)."""

    def update(self, key: str, completed: float) -> None:
        """The task has done ``completed`` of its total."""

    def finish(self, key: str) -> None:
        """The task is done."""


class NoProgress:
    def start(self, key: str, description: str, total: float) -> None:
        pass

    def update(self, key: str, completed: float) -> None:
        pass

    def finish(self, key: str) -> None:
        pass
