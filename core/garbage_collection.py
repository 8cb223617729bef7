"""The garbage collector, tuned for a process that serves big pages.

CPython's defaults collect the young generation every 700 net allocations, which suits
small scripts. A cold homepage allocates some half a million objects while fifteen other
requests are in flight: young collections ran hundreds of times per page and promoted the
in-flight requests' objects to the old generation, so full collections (a quarter of a
million long-lived objects, 100-250 ms each) ran every second or two. Profiled with
gc.callbacks under bench/homepage.py's load, they were a third of a cold page's CPU. So:

* what startup made (modules, the schema, the stores' clients) is frozen: no collection
  walks it again;
* the young generation is collected every ``YOUNG_ALLOCATIONS`` net allocations: most of
  a request's objects are freed by reference counting before any collection sees them;
* the middle generation once every ``YOUNG_COLLECTIONS_PER_MIDDLE`` young collections,
  not CPython's 10. A middle collection walks every object the requests in flight hold (a
  cold page keeps tens of thousands alive), so each one stopped the loop for 70-95 ms:
  six such pauses in one run of bench/homepage.py at 10 (logged with gc.callbacks), none
  at 100. What it finds is cyclic garbage only, which waits longer for it.

The oldest generation keeps CPython's own threshold. Cyclic garbage still goes, in bigger
batches: memory holds what cycles the middle generation has not yet been walked for.
"""

from __future__ import annotations

import gc

YOUNG_ALLOCATIONS = 50_000
YOUNG_COLLECTIONS_PER_MIDDLE = 100

_tuned = False


def tune_for_serving() -> None:
    """Once per process (an in-process test app starts many times): freeze what exists and
    raise the young and middle generations' thresholds."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    *_, old = gc.get_threshold()
    gc.set_threshold(YOUNG_ALLOCATIONS, YOUNG_COLLECTIONS_PER_MIDDLE, old)
