"""What is derived from one pool of titles alone, kept by the pool's identity.

A pool is a catalogue dict, never edited once made (a catalogue reload makes new ones), and
every page at a maturity level is handed the same one (``page.allowed_at``): so what depends
on the pool alone is made once per pool and found again by ``is``, not recomputed per page.
The pool is held beside what was made from it, so its id cannot be reused meanwhile.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

Made = TypeVar("Made")


class ByPool(Generic[Made]):
    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._made: OrderedDict[tuple[int, Hashable], tuple[Mapping[int, object], Made]]
        self._made = OrderedDict()

    def get(self, pool: Mapping[int, object], key: Hashable, make: Callable[[], Made]) -> Made:
        """What ``make`` makes from ``pool`` (``key`` tells apart what is made of one pool)."""
        slot = (id(pool), key)
        found = self._made.get(slot)
        if found is not None and found[0] is pool:
            self._made.move_to_end(slot)
            return found[1]
        made = make()
        self._made[slot] = (pool, made)
        while len(self._made) > self._kept:
            self._made.popitem(last=False)
        return made
