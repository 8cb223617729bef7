"""The personalizer: how much a profile wants each title, and which titles are alike.

``EmbeddingPersonalizer`` uses the embeddings `flix train` learns. Before any training (or
for a profile the model has not seen) it degrades on its own to popularity, as the ranking
functions do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import Video
from datasources.personalization.embeddings import profile_vector
from personalization.model_cache import ModelCache
from personalization.ranking import Candidate, rank
from personalization.similar import TitleFacts, similar_titles


class Personalizer(Protocol):
    async def scorer(
        self, profile_id: UUID, allowed: Mapping[int, Video]
    ) -> Callable[[Video], float]:
        """How much the profile should want each of ``allowed`` (higher first)."""
        ...

    async def similar(self, video: Video, allowed: Mapping[int, Video], limit: int) -> list[int]:
        """Titles like ``video`` among ``allowed``, most similar first."""
        ...


class EmbeddingPersonalizer:
    def __init__(self, engine: AsyncEngine, models: ModelCache | None = None) -> None:
        self._engine = engine
        self._models = models or ModelCache()
        # Built once per title: a homepage asks for similar titles of three seeds, each
        # against the whole catalogue.
        self._facts: dict[Video, TitleFacts] = {}

    def _fact(self, video: Video) -> TitleFacts:
        found = self._facts.get(video)
        if found is None:
            found = self._facts[video] = TitleFacts(
                video.id, video.popularity, frozenset(video.genres)
            )
        return found

    async def scorer(
        self, profile_id: UUID, allowed: Mapping[int, Video]
    ) -> Callable[[Video], float]:
        served = await self._models.current(self._engine)
        titles = served.titles if served else {}
        vector = (
            await profile_vector(self._engine, profile_id, version=served.version)
            if served
            else None
        )
        candidates = [
            Candidate(video.id, video.popularity, release_year=video.release_year)
            for video in allowed.values()
        ]
        order = rank(candidates, vector, titles, now=datetime.now(UTC))
        # Rank positions as scores: higher is better, and the order is the model's.
        scores = {video_id: float(len(order) - position) for position, video_id in enumerate(order)}
        return lambda video: scores.get(video.id, 0.0)

    async def similar(self, video: Video, allowed: Mapping[int, Video], limit: int) -> list[int]:
        served = await self._models.current(self._engine)
        facts = [self._fact(candidate) for candidate in allowed.values()]
        return similar_titles(
            self._fact(video), facts, served.titles if served else {}, limit=limit
        )
