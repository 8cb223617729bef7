"""No GraphQL operation outlives its deadline or its client.

The operation runs as a task beside a watcher of the connection: whichever ends first
decides. Past the deadline, or once the client has disconnected, the operation's task is
cancelled (its SQL with it: asyncpg cancels the statement on the server) and awaited, so
it holds no connection and burns no CPU after its answer is given up on. Uvicorn tells an
app that its client left only through ``receive()``; nothing cancels the app otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.types import Receive

T = TypeVar("T")

# Cancelled work gets this long to unwind (roll back, hand its connections back) before the
# answer goes without it: a store that hangs must not hold the answer hostage too.
UNWIND_SECONDS = 1.0
_unwinding: set[asyncio.Task[Any]] = set()  # the event loop keeps only weak references


class ClientGone(Exception):
    """The client disconnected before its answer was ready."""


async def _disconnected(receive: Receive) -> None:
    # The body has been read by now (or, for a GET, is empty): the next message that
    # matters is the disconnect, which the server sends when the client goes away.
    while (await receive())["type"] != "http.disconnect":
        pass


async def bounded(work: Coroutine[Any, Any, T], *, deadline_seconds: float, receive: Receive) -> T:
    """``work``'s result; ``TimeoutError`` past the deadline, ``ClientGone`` if the client
    left first. Either way the work is cancelled, and has unwound before this returns
    unless unwinding takes longer than ``UNWIND_SECONDS``."""
    work_task = asyncio.create_task(work)
    watcher = asyncio.create_task(_disconnected(receive))
    tasks: set[asyncio.Task[Any]] = {work_task, watcher}
    try:
        done, _ = await asyncio.wait(
            tasks, timeout=deadline_seconds, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in tasks:
            task.cancel()  # a no-op on a task that has finished
        _, pending = await asyncio.wait(tasks, timeout=UNWIND_SECONDS)
        for task in pending:
            _unwinding.add(task)
            task.add_done_callback(_unwinding.discard)
    if work_task in done:
        return work_task.result()
    if watcher in done:
        raise ClientGone
    raise TimeoutError
