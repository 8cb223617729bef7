"""Message ids seen inside a sliding time window: how a log without publish-side dedup drops
a retried publish (JetStream's duplicate window, done by the reader)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta


class RecentIds:
    def __init__(self, window: timedelta) -> None:
        self._window_ms = window.total_seconds() * 1000
        self._seen: OrderedDict[str, int] = OrderedDict()  # id -> broker time (ms), oldest first

    def repeated(self, msg_id: str, at_ms: int) -> bool:
        """Whether ``msg_id`` was seen less than the window before ``at_ms``; remembers it."""
        # Broker times only grow along a partition, so the oldest entries leave first.
        while self._seen and next(iter(self._seen.values())) <= at_ms - self._window_ms:
            self._seen.popitem(last=False)
        if msg_id in self._seen:
            return True
        self._seen[msg_id] = at_ms
        return False
