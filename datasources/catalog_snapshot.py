"""An in-memory copy of the catalog: the homepage ranks across it, and a single title
(``video(id)``, a heartbeat, a playback) is checked against it without a SQL round trip.

Every process keeps its own copy. An edit bumps a shared version in Redis, and each process
looks at that version at most once a second (one reader at a time, the others keep the copy
they have), so an edit made through any worker reaches all of them within about a second.
A full reload every minute stays as the backstop for changes made beside the API and for
Redis outages, when the version cannot be read.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import Video
from datasources.tables import videos

REFRESH_SECONDS = 60.0
VERSION_CHECK_SECONDS = 1.0
VERSION_KEY = "catalog:version"


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

    def __init__(self, engine: AsyncEngine, redis: Redis | None = None) -> None:
        self._engine = engine
        self._redis = redis
        self._snapshot: CatalogSnapshot | None = None
        self._loaded_at = 0.0
        self._checked_at = 0.0
        self._shared_version: object = None  # the Redis value, compared only
        self._lock = asyncio.Lock()

    async def current(self) -> CatalogSnapshot:
        snapshot = self._snapshot
        if snapshot is not None and not self._due():
            return snapshot
        if snapshot is not None and self._lock.locked():
            return snapshot  # another caller is checking; this one need not wait for it
        async with self._lock:
            if self._snapshot is None or self._due():
                await self._refresh()
            assert self._snapshot is not None
            return self._snapshot

    async def changed(self) -> None:
        """After a catalog edit: this process reloads on its next read, the others within
        a second (or at their next full reload, should Redis be away)."""
        self.invalidate()
        if self._redis is not None:
            with contextlib.suppress(RedisError):
                await self._redis.incr(VERSION_KEY)

    def invalidate(self) -> None:
        """This process reloads on its next read."""
        self._loaded_at = 0.0

    def _due(self) -> bool:
        now = time.monotonic()
        if now - self._loaded_at > REFRESH_SECONDS:
            return True
        return self._redis is not None and now - self._checked_at > VERSION_CHECK_SECONDS

    async def _refresh(self) -> None:
        now = time.monotonic()
        stale = self._snapshot is None or now - self._loaded_at > REFRESH_SECONDS
        version = self._shared_version
        if self._redis is not None:
            self._checked_at = now
            try:
                version = await self._redis.get(VERSION_KEY)
            except RedisError:
                version = self._shared_version  # unknown: only the time-based reload applies
        if stale or version != self._shared_version:
            self._snapshot = _versioned(await _load(self._engine), self._snapshot)
            self._loaded_at = time.monotonic()
            self._shared_version = version
