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
  a request's objects are freed by reference counting before any collection sees them.

The two older generations keep CPython's own thresholds. Cyclic garbage still goes, in
bigger batches; memory grows by the young generation's few megabytes at most.
"""

from __future__ import annotations

import gc

YOUNG_ALLOCATIONS = 50_000

_tuned = False


def tune_for_serving() -> None:
    """Once per process (an in-process test app starts many times): freeze what exists and
    raise the young generation's threshold."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_ALLOCATIONS, middle, old)
