"""The exposures this process knows are logged: a page served again and again (a finished
homepage body, every poster of a row) asks Redis once per profile, experiment and day, not
once per request.

A marker is remembered once Redis said it is set (by this request or by another process's);
markers carry their day, so a new day asks again. Bounded: the oldest are forgotten first,
and forgetting one costs a round trip, never a second exposure (Redis still dedupes).
"""

from __future__ import annotations

from collections import OrderedDict

MAX_MARKERS = 50_000  # ~100 bytes each: a few MB per process


class LoggedExposures:
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
