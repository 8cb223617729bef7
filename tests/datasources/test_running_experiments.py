"""The running experiments' copy: re-read at most every few seconds, one re-read at a time."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.experiments import RunningExperiments
from datasources.tables import experiments


async def _start(engine: AsyncEngine, key: str) -> None:
    async with engine.begin() as connection:
        values = {"key": key, "status": "RUNNING", "definition": {"key": key}}
        await connection.execute(insert(experiments).values(**values))


async def test_a_stale_copy_is_re_read_once_however_many_ask(engine: AsyncEngine) -> None:
    await _start(engine, "artwork")
    running = RunningExperiments(engine, refresh_seconds=0)  # stale at once
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        first = await asyncio.gather(*(running.current() for _ in range(50)))
        assert len(statements) == 1  # every caller waited for the one read
        again = await asyncio.gather(*(running.current() for _ in range(50)))
        assert len(statements) == 2  # stale again: one re-read for all of them
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert all(docs == [{"key": "artwork"}] for docs in first + again)


async def test_an_edit_here_is_seen_by_the_next_caller(engine: AsyncEngine) -> None:
    running = RunningExperiments(engine, refresh_seconds=60)
    assert await running.current() == []
    await _start(engine, "row-order")
    assert await running.current() == []  # within the refresh: the copy
    running.invalidate()
    assert await running.current() == [{"key": "row-order"}]
