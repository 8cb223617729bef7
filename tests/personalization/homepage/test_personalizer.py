"""The personalizer ranks a seed's similar titles once per model, seed and pool of titles, and
builds the profile-independent half of ranking once per model and pool."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from personalization import ranking
from personalization.homepage.personalizer import EmbeddingPersonalizer
from personalization.ranking import Candidate
from personalization.similar import similar_titles
from tests.personalization.homepage.titles import catalogue, video


async def test_a_seeds_order_is_reused_for_the_same_titles_and_made_again_for_new_records(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ranked: list[int] = []

    def counted(*args: object, **kwargs: object) -> list[int]:
        ranked.append(1)
        return similar_titles(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("personalization.homepage.personalizer.similar_titles", counted)
    titles = EmbeddingPersonalizer(engine)  # no model trained: genres and popularity
    shelf = catalogue(30, "Drama")
    seed = shelf[1]
    first = await titles.similar(seed, shelf, 30)  # all of them
    assert await titles.similar(seed, dict(shelf), 5) == first[:5]  # another request's dict
    assert len(ranked) == 1

    edited = {**shelf, 2: video(2, "Drama", popularity=0.0)}  # a catalogue edit: new records
    again = await titles.similar(seed, edited, 30)
    assert len(ranked) == 2
    assert 2 not in again[:1] and again != first
    smaller = {vid: title for vid, title in shelf.items() if vid != 3}  # another pool
    assert await titles.similar(seed, smaller, 10) == [vid for vid in first if vid != 3][:10]
    assert len(ranked) == 3


async def test_the_ranking_pool_is_built_once_per_pool_and_ranks_as_rank_does(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []

    def counted(*args: object, **kwargs: object) -> ranking.RankingPool:
        built.append(1)
        return ranking.ranking_pool(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("personalization.homepage.personalizer.ranking_pool", counted)
    personalizer = EmbeddingPersonalizer(engine)  # no model trained: popularity, then newer
    shelf = {vid: video(vid, popularity=float(vid % 7), year=1990 + vid) for vid in range(1, 41)}
    scores = [await personalizer.scorer(uuid.uuid4(), dict(shelf)) for _ in range(3)]
    assert len(built) == 1  # three profiles, one pool

    candidates = [
        Candidate(v.id, v.popularity, release_year=v.release_year) for v in shelf.values()
    ]
    expected = ranking.rank(candidates, None, {}, now=datetime.now(UTC))
    for score in scores:
        assert sorted(shelf, key=lambda vid: -score(shelf[vid])) == expected

    edited = {**shelf, 1: video(1, popularity=100.0)}  # a catalogue edit: new records
    score = await personalizer.scorer(uuid.uuid4(), edited)
    assert len(built) == 2
    assert max(edited, key=lambda vid: score(edited[vid])) == 1
