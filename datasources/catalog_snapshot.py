"""An in-memory copy of the catalog for the homepage, refreshed every minute.

A homepage ranks across the whole catalog; reading it from memory keeps every page to a
fixed, small number of SQL statements however many rows and items it shows.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import Video
from datasources.tables import videos

REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class CatalogSnapshot:
    videos: dict[int, Video]
    # Grows when a reload finds the catalogue changed: what was rendered from an older
    # version (a finished homepage body) is stale.
    version: int = 0


async def _load(engine: AsyncEngine) -> CatalogSnapshot:
    columns = [c for c in videos.c if c.name not in ("search_vector", "external_id")]
    query = select(*columns)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return CatalogSnapshot({row.id: Video.from_row(row) for row in rows})


def _versioned(loaded: CatalogSnapshot, previous: CatalogSnapshot | None) -> CatalogSnapshot:
    if previous is None:
        return loaded
    if loaded.videos == previous.videos:
        return previous
    return CatalogSnapshot(loaded.videos, previous.version + 1)


class CatalogSnapshots:
    """Hands out the current snapshot, reloading it (once, not per caller) when stale."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._snapshot: CatalogSnapshot | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def current(self) -> CatalogSnapshot:
        if self._snapshot is None or time.monotonic() - self._loaded_at > REFRESH_SECONDS:
            async with self._lock:
                if self._snapshot is None or time.monotonic() - self._loaded_at > REFRESH_SECONDS:
                    self._snapshot = _versioned(await _load(self._engine), self._snapshot)
                    self._loaded_at = time.monotonic()
        return self._snapshot

    def invalidate(self) -> None:
        """After a catalog edit, so the next page sees it."""
        self._loaded_at = 0.0
