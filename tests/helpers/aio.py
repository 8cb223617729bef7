"""The one way a synchronous test reaches async code.

Tests of async code are ``async def`` and run on pytest-asyncio's session loop (auto mode).
Synchronous tests — the HTTP ones, whose TestClient runs the app on a loop of its own, and the
browser ones, whose playwright keeps a loop running on the test's thread — set up and inspect
stores through ``blocking``, never through ``asyncio.run`` of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on a fresh loop and return its result."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # A loop already runs on this thread (playwright's, or an async test's): asyncio.run
    # refuses to nest, so the coroutine gets a thread and a loop of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
