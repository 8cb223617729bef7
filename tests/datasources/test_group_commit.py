"""Group commit: callers that arrive together share one flush and each gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from datasources.group_commit import GroupCommit


class Doubling:
    """A flush that records its batches and doubles each item (or fails on a negative one)."""

    def __init__(self, release: asyncio.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.release = release
        self.started = asyncio.Event()

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.started.set()
        if self.release is not None:
            await self.release.wait()
        if any(item < 0 for item in items):
            raise ValueError("negative")
        return [item * 2 for item in items]


async def test_callers_arriving_together_share_one_flush() -> None:
    flush = Doubling()
    group = GroupCommit(flush)
    assert await asyncio.gather(*(group.submit(n) for n in range(20))) == [n * 2 for n in range(20)]
    assert flush.batches == [list(range(20))]  # in arrival order
    assert await group.submit(5) == 10  # a later caller opens a window of its own
    assert flush.batches[-1] == [5]


async def test_a_full_window_flushes_without_waiting_it_out() -> None:
    flush = Doubling()
    group = GroupCommit(flush, window_seconds=60, max_items=4)
    assert await asyncio.wait_for(asyncio.gather(*(group.submit(n) for n in range(4))), 10)
    assert flush.batches == [[0, 1, 2, 3]]


async def test_a_failed_flush_fails_its_window_only() -> None:
    flush = Doubling()
    group = GroupCommit(flush)
    results = await asyncio.gather(group.submit(1), group.submit(-1), return_exceptions=True)
    assert all(isinstance(result, ValueError) for result in results)
    assert await group.submit(3) == 6


async def test_a_caller_that_gives_up_leaves_the_write_to_land() -> None:
    release = asyncio.Event()
    flush = Doubling(release)
    group = GroupCommit(flush)
    impatient = asyncio.create_task(group.submit(1))
    patient = asyncio.create_task(group.submit(2))
    await flush.started.wait()  # the flush has started, and waits
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    release.set()
    assert await patient == 4
    assert flush.batches == [[1, 2]]
