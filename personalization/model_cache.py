"""The current model's title vectors, held in memory by each server process.

Similar titles compare one title with hundreds of candidates, and every homepage row
ranks dozens: reading those vectors from PostgreSQL on every request would cost more than
the rest of the page. They change only when `flix train` switches models, so a process
keeps them and checks for a switch at most every ``ttl_seconds`` (one small query).

Cosines between vectors of two different models mean nothing, so a caller that also
needs a profile's vector reads it for the same version (``profile_vector(engine, id,
version=served.version)``): for up to ``ttl_seconds`` after a switch a process keeps
serving the previous model, consistently, which pruning keeps around for that reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.personalization.embeddings import Vector, current_model, title_vectors


@dataclass(frozen=True, slots=True)
class ServedModel:
    version: str
    titles: dict[int, Vector]


class ModelCache:
    def __init__(
        self, ttl_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._served: ServedModel | None = None
        self._checked_at: float | None = None
        # One reload at a time: when the entry expires under load, one request reads
        # and the others wait for its answer instead of all reading at once.
        self._lock = asyncio.Lock()

    async def current(self, engine: AsyncEngine) -> ServedModel | None:
        """The model to serve, or None before the first training."""
        if self._fresh():
            return self._served
        async with self._lock:
            if self._fresh():
                return self._served
            info = await current_model(engine)
            if info is None:
                self._served = None
            elif self._served is None or self._served.version != info.version:
                vectors = await title_vectors(engine, version=info.version)
                self._served = ServedModel(info.version, vectors)
            self._checked_at = self._clock()
            return self._served

    def _fresh(self) -> bool:
        return self._checked_at is not None and self._clock() - self._checked_at < self.ttl_seconds
