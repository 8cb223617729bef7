"""The personalizer: how much a profile wants each title, and which titles are alike.

``EmbeddingPersonalizer`` uses the embeddings `flix train` learns. Before any training (or
for a profile the model has not seen) it degrades on its own to popularity, as the ranking
functions do.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import Video
from datasources.personalization.embeddings import profile_vector
from personalization.model_cache import ModelCache
from personalization.ranking import Candidate, RankingPool, ranking_pool
from personalization.similar import TitleFacts, similar_titles


class Personalizer(Protocol):
    async def scorer(
        self, profile_id: UUID, allowed: Mapping[int, Video]
    ) -> Callable[[Video], float]:
        """How much the profile should want each of ``allowed`` (higher first)."""
        ...

    async def similar(self, video: Video, allowed: Mapping[int, Video], limit: int) -> list[int]:
        """Titles like ``video`` among ``allowed``, most similar first. How two titles compare
        does not depend on the rest of ``allowed``: the order among a subset is the order
        among the whole with the others left out."""
        ...


ORDERS_KEPT = 2048  # seeds (the long tail of titles started) across maturity levels
POOLS_KEPT = 16  # pools of titles told apart: a maturity level's each, per catalogue
RANKINGS_KEPT = 8  # ranking pools (a unit vector per title: ~0.5 MB for 2,000 titles)


class _Pools:
    """A number for each distinct pool of titles: the same number for another request's dict
    of the same titles, as the same records (a catalogue edit makes new ones)."""

    def __init__(self) -> None:
        self._seen: OrderedDict[int, tuple[Mapping[int, Video], int]] = OrderedDict()
        self._numbers = itertools.count()

    def number(self, pool: Mapping[int, Video]) -> int:
        found = self._seen.get(len(pool))  # a maturity level's pool differs in size
        if found is not None and _same(found[0], pool):
            self._seen.move_to_end(len(pool))
            return found[1]
        number = next(self._numbers)
        self._seen[len(pool)] = (pool, number)
        while len(self._seen) > POOLS_KEPT:
            self._seen.popitem(last=False)
        return number


def _hour() -> int:
    return int(time.time() // 3600)


def _same(kept: Mapping[int, Video], pool: Mapping[int, Video]) -> bool:
    return pool is kept or (
        len(pool) == len(kept) and all(kept.get(vid) is video for vid, video in pool.items())
    )


class EmbeddingPersonalizer:
    def __init__(self, engine: AsyncEngine, models: ModelCache | None = None) -> None:
        self._engine = engine
        self._models = models or ModelCache()
        # Built once per title: a homepage asks for similar titles of three seeds, each
        # against the whole catalogue.
        self._facts: dict[Video, TitleFacts] = {}
        # By model version, seed and pool: a seed's order among a maturity level's titles is
        # the same for every profile that asks (three seeds per cold homepage, a fifth of its
        # CPU when ranked each time), so each is ranked once per model and catalogue.
        self._pools = _Pools()
        self._orders: OrderedDict[tuple[str | None, Video, int], npt.NDArray[np.int64]] = (
            OrderedDict()
        )
        # By model version, pool and hour: the profile-independent half of ranking (a cold
        # homepage's scorer rebuilt it for every profile, a seventh of the page's CPU).
        self._rankings: OrderedDict[tuple[str | None, int, int], RankingPool] = OrderedDict()

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
        # Per hour: ages are counted in years, and an hour's drift moves no title's factor.
        key = (served.version if served else None, self._pools.number(allowed), _hour())
        pool = self._rankings.get(key)
        if pool is None:
            candidates = [
                Candidate(video.id, video.popularity, release_year=video.release_year)
                for video in allowed.values()
            ]
            pool = self._rankings[key] = ranking_pool(candidates, titles, now=datetime.now(UTC))
            while len(self._rankings) > RANKINGS_KEPT:
                self._rankings.popitem(last=False)
        self._rankings.move_to_end(key)
        order = pool.rank(vector)
        # Rank positions as scores: higher is better, and the order is the model's.
        scores = {video_id: float(len(order) - position) for position, video_id in enumerate(order)}
        return lambda video: scores.get(video.id, 0.0)

    async def similar(self, video: Video, allowed: Mapping[int, Video], limit: int) -> list[int]:
        served = await self._models.current(self._engine)
        key = (served.version if served else None, video, self._pools.number(allowed))
        order = self._orders.get(key)
        if order is None:
            facts = [self._fact(candidate) for candidate in allowed.values()]
            titles = served.titles if served else {}
            ranked = similar_titles(self._fact(video), facts, titles, limit=len(facts))
            order = self._orders[key] = np.asarray(ranked, dtype=np.int64)  # 8 bytes a title
            while len(self._orders) > ORDERS_KEPT:
                self._orders.popitem(last=False)
        self._orders.move_to_end(key)
        ids: list[int] = order[:limit].tolist()
        return ids
