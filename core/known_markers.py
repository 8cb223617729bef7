"""The once-a-day markers this process knows Redis holds (``SET NX`` keys: an exposure
logged, a view counted), so that what repeats all day (a finished homepage body served
again, a player's heartbeat every 10 seconds) asks Redis once per marker, not every time.

A marker is remembered once Redis said it is set (by this process or another); markers carry
their day, so a new day asks again. Bounded: the oldest are forgotten first, and forgetting
one costs a round trip, never a second count (Redis still dedupes).
"""

from __future__ import annotations

from collections import OrderedDict

MAX_MARKERS = 50_000  # ~100 bytes each: a few MB per process


class KnownMarkers:
    def __init__(self, size: int = MAX_MARKERS) -> None:
        self._size = size
        self._markers: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, marker: str) -> bool:
        return marker in self._markers

    def add(self, marker: str) -> None:
        self._markers[marker] = None
        self._markers.move_to_end(marker)
        while len(self._markers) > self._size:
            self._markers.popitem(last=False)

    def clear(self) -> None:
        self._markers.clear()
