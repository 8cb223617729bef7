"""The collector tuned for serving (core/garbage_collection.py), once per process."""

from __future__ import annotations

import subprocess
import sys


def test_serving_freezes_startup_and_collects_the_young_and_middle_less_often() -> None:
    probe = (
        "import gc\n"
        "from core.garbage_collection import (\n"
        "    YOUNG_ALLOCATIONS, YOUNG_COLLECTIONS_PER_MIDDLE, tune_for_serving)\n"
        "defaults = gc.get_threshold(); tune_for_serving(); frozen = gc.get_freeze_count()\n"
        "tune_for_serving()\n"  # again: nothing more to do
        "assert gc.get_freeze_count() == frozen > 1000, frozen\n"
        "wanted = (YOUNG_ALLOCATIONS, YOUNG_COLLECTIONS_PER_MIDDLE, defaults[2])\n"
        "assert gc.get_threshold() == wanted, gc.get_threshold()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
