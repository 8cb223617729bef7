"""ALS embeddings: deterministic, and co-watched titles end up close together."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from personalization.embeddings import AlsParams, train_embeddings
from personalization.signals import Preference
from personalization.vectors import cosine_similarity

# Small and quick; two seeds in the bag so the bagging path runs too.
PARAMS = AlsParams(factors=4, regularization=0.1, alpha=5.0, iterations=10, models=2, seed=7)
DRAMAS = list(range(100, 110))
CARTOONS = list(range(200, 210))


def _two_audiences() -> list[Preference[int]]:
    """Profiles 0..29 watch dramas, 30..59 cartoons; nobody crosses over. Every drama
    profile watches the first two dramas together, and four more at random."""
    rng = random.Random(3)
    result: list[Preference[int]] = []
    for profile in range(60):
        drama_fan = profile < 30
        chosen = DRAMAS[:2] + rng.sample(DRAMAS[2:], 4) if drama_fan else rng.sample(CARTOONS, 6)
        for video in chosen:
            result.append(Preference(profile, video, rng.choice([1.0, 2.0, 4.0])))
    return result


def test_the_same_input_gives_the_same_vectors() -> None:
    first = train_embeddings(_two_audiences(), PARAMS)
    second = train_embeddings(_two_audiences(), PARAMS)
    assert first.titles.ids == second.titles.ids
    assert np.array_equal(first.titles.matrix, second.titles.matrix)
    assert np.array_equal(first.profiles.matrix, second.profiles.matrix)


def test_neither_row_order_nor_threads_change_the_vectors() -> None:
    preferences = _two_audiences()
    reference = train_embeddings(preferences, PARAMS)
    shuffled = preferences[:]
    random.Random(1).shuffle(shuffled)
    other = train_embeddings(shuffled, replace(PARAMS, threads=1))
    assert np.array_equal(reference.titles.matrix, other.titles.matrix)
    assert np.array_equal(reference.profiles.matrix, other.profiles.matrix)


def test_another_seed_gives_other_vectors() -> None:
    reseeded = replace(PARAMS, seed=8)
    first = train_embeddings(_two_audiences(), PARAMS)
    second = train_embeddings(_two_audiences(), reseeded)
    assert not np.array_equal(first.titles.matrix, second.titles.matrix)


def test_co_watched_titles_are_closer_than_unrelated_ones() -> None:
    embeddings = train_embeddings(_two_audiences(), PARAMS)
    titles = embeddings.titles
    cosines = cosine_similarity(titles.matrix, titles.matrix)
    row = {video: i for i, video in enumerate(titles.ids)}
    pair = cosines[row[DRAMAS[0]], row[DRAMAS[1]]]
    assert pair > max(cosines[row[DRAMAS[0]], row[cartoon]] for cartoon in CARTOONS)
    # Over the whole shelf: dramas sit with dramas (about 0.5 apart from cartoons in
    # cosine, whatever the seed; individual pairs vary more, so we compare averages).
    same = [cosines[row[a], row[b]] for a in DRAMAS for b in DRAMAS if a != b]
    across = [cosines[row[a], row[b]] for a in DRAMAS for b in CARTOONS]
    assert np.mean(same) > np.mean(across) + 0.3
    # And a profile is closer to its own audience's titles.
    drama_fan = embeddings.profiles.get(0)
    assert drama_fan is not None
    to_dramas = cosine_similarity(drama_fan, np.stack([titles.matrix[row[v]] for v in DRAMAS]))
    to_cartoons = cosine_similarity(drama_fan, np.stack([titles.matrix[row[v]] for v in CARTOONS]))
    assert to_dramas.mean() > to_cartoons.mean() + 0.3


def test_vectors_cover_exactly_the_profiles_and_titles_with_feedback() -> None:
    embeddings = train_embeddings(_two_audiences(), PARAMS)
    assert set(embeddings.titles.ids) == set(DRAMAS) | set(CARTOONS)
    assert set(embeddings.profiles.ids) == set(range(60))
    assert 999 not in embeddings.titles
    assert embeddings.titles.get(999) is None
    assert embeddings.titles.dimensions == PARAMS.factors * PARAMS.models
    lengths = np.linalg.norm(embeddings.titles.matrix, axis=1)
    assert lengths == pytest.approx(np.ones(len(lengths)), abs=1e-5)


def test_a_thumbs_down_pushes_a_title_away() -> None:
    def affinity(confidence: float) -> float:
        """How close drama fan 0 ends up to a cartoon it gave ``confidence`` about."""
        preferences = [*_two_audiences(), Preference(0, CARTOONS[5], confidence)]
        embeddings = train_embeddings(preferences, PARAMS)
        profile, title = embeddings.profiles.get(0), embeddings.titles.get(CARTOONS[5])
        assert profile is not None and title is not None
        return float(cosine_similarity(profile, title[None, :])[0])

    assert affinity(4.0) > affinity(-4.0)


def test_no_feedback_trains_nothing() -> None:
    embeddings = train_embeddings(list[Preference[int]](), PARAMS)
    assert len(embeddings.profiles) == len(embeddings.titles) == 0


def test_progress_reaches_one() -> None:
    seen: list[float] = []
    train_embeddings(_two_audiences(), PARAMS, seen.append)
    assert len(seen) == PARAMS.iterations * PARAMS.models
    assert seen == sorted(seen) and seen[-1] == 1.0
