"""Group commit: writes that arrive within a millisecond or two share one statement.

Each caller of :meth:`GroupCommit.submit` waits for its own result, as if it had written
alone; the first caller of a window waits ``window_seconds`` for company, then one ``flush``
writes everything that arrived and hands each caller its answer. Windows overlap freely (a
flush in progress does not hold up the next window), so a slow statement adds no queueing
of its own. A flush that fails fails every caller of its window, and nothing else. With a
window of 0 nobody waits: the window is what arrives before its leader first runs (the rest
of the event loop's turn), which adds no latency and still shares a round trip under load.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

Flush = Callable[[Sequence[Item]], Awaitable[Sequence[Result]]]


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self, flush: Flush[Item, Result], *, window_seconds: float = 0.002, max_items: int = 500
    ) -> None:
        self._flush = flush
        self._window = window_seconds
        self._max = max_items
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._full = asyncio.Event()
        self._leader: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        if self._leader is None or self._leader.get_loop() is not loop:
            self._full = asyncio.Event()
            self._leader = loop.create_task(self._lead())
        if len(self._waiting) >= self._max:
            self._full.set()
        # Shielded: a caller that gives up (its client went away) leaves its write to land
        # with the others rather than cancelling their statement.
        return await asyncio.shield(future)

    async def _lead(self) -> None:
        if self._window > 0:
            with contextlib.suppress(TimeoutError):  # the window closed before it filled up
                await asyncio.wait_for(self._full.wait(), self._window)
        batch, self._waiting, self._leader = self._waiting, [], None
        try:
            results = await self._flush([item for item, _ in batch])
        except asyncio.CancelledError:  # the loop is shutting down
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
