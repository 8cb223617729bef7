"""Ranking within a row: cosine x popularity x recency, and the popularity fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from personalization.ranking import (
    Candidate,
    RankWeights,
    combine,
    popularity_factor,
    rank,
    recency_factor,
    similarity_factor,
    title_age_years,
)
from personalization.vectors import cosine_similarity, unit_rows

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PROFILE = np.array([1.0, 0.0, 0.0], dtype=np.float32)
VECTORS = {
    1: np.array([1.0, 0.1, 0.0], dtype=np.float32),  # close to the profile
    2: np.array([0.0, 1.0, 0.0], dtype=np.float32),  # orthogonal
    3: np.array([-1.0, 0.0, 0.2], dtype=np.float32),  # opposite
}


def test_cosine_of_known_angles() -> None:
    matrix = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0], [1.0, 1.0]])
    cosines = cosine_similarity(np.array([5.0, 0.0]), matrix)
    assert cosines == pytest.approx([1.0, 0.0, -1.0, np.sqrt(0.5)])


def test_cosine_of_many_profiles_at_once_and_of_a_zero_vector() -> None:
    profiles = np.array([[1.0, 0.0], [0.0, 0.0]])
    titles = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert cosine_similarity(profiles, titles) == pytest.approx(np.array([[1, 0], [0, 0]]))


def test_cosine_refuses_vectors_of_different_sizes() -> None:
    with pytest.raises(ValueError, match="different sizes"):
        cosine_similarity(np.ones(3), np.ones((2, 4)))


def test_unit_rows_have_length_one() -> None:
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert rows[0] == pytest.approx([0.6, 0.8])
    assert rows[1] == pytest.approx([0.0, 0.0])


def test_similarity_factor_maps_cosine_onto_zero_to_one() -> None:
    assert similarity_factor([-1.0, 0.0, 1.0]) == pytest.approx([0.0, 0.5, 1.0])


def test_popularity_factor_is_logarithmic_in_zero_one() -> None:
    factor = popularity_factor([0.0, 9.0, 99.0, 999.0])
    assert factor[-1] == pytest.approx(1.0)
    assert 0.0 < factor[0] < factor[1] < factor[2] < factor[3]
    assert factor[0] == pytest.approx(1.0 / (1.0 + np.log(1000.0)))
    # Each tenfold adds the same step: a log scale, not a linear one.
    assert factor[2] - factor[1] == pytest.approx(factor[3] - factor[2], rel=0.05)


def test_popularity_factor_against_a_catalogue_maximum() -> None:
    row_only = popularity_factor([10.0, 20.0])
    catalogue = popularity_factor([10.0, 20.0], max_popularity=1000.0)
    assert catalogue[1] < row_only[1] == pytest.approx(1.0)
    assert np.argsort(catalogue).tolist() == np.argsort(row_only).tolist()


def test_title_age_is_the_younger_of_release_and_arrival() -> None:
    ages = title_age_years(
        [2020, 1995, None, None, 2030],
        [None, NOW - timedelta(days=73), NOW - timedelta(days=365), None, None],
        NOW,
    )
    assert ages[0] == pytest.approx(2026 + 151 / 365 - 2020.5, abs=0.01)
    assert ages[1] == pytest.approx(0.2, abs=0.01)  # a 1995 film added 73 days ago is new here
    assert ages[2] == pytest.approx(1.0, abs=0.01)
    assert np.isnan(ages[3])
    assert ages[4] == 0.0  # announced for the future: new, not newer than new


def test_recency_halves_every_half_life_and_fills_unknown_ages() -> None:
    factor = recency_factor([0.0, 2.0, 4.0, np.nan], half_life_years=2.0)
    assert factor[:3] == pytest.approx([1.0, 0.5, 0.25])
    assert factor[3] == pytest.approx(0.5)  # the median known age


def test_combine_is_the_weighted_product() -> None:
    weights = RankWeights(similarity=2.0, popularity=1.0, recency=3.0)
    scores = combine(np.array([0.5]), np.array([0.8]), np.array([0.5]), weights)
    assert scores == pytest.approx([0.5**2 * 0.8 * 0.5**3])


def test_combine_without_similarity_is_popularity_alone() -> None:
    scores = combine(None, np.array([0.2, 0.9]), np.array([1.0, 0.01]))
    assert scores.argmax() == 1


def test_rank_puts_the_closest_title_first_when_all_else_is_equal() -> None:
    candidates = [Candidate(video_id, 100.0, 2020) for video_id in (3, 2, 1)]
    assert rank(candidates, PROFILE, VECTORS, now=NOW) == [1, 2, 3]


def test_popularity_can_outweigh_a_small_similarity_gap() -> None:
    vectors = {1: np.array([1.0, 0.05, 0.0]), 2: np.array([1.0, 0.1, 0.0])}
    candidates = [Candidate(1, 1.0, 2020), Candidate(2, 10_000.0, 2020)]
    assert rank(candidates, PROFILE, vectors, now=NOW) == [2, 1]


def test_newer_titles_rank_first_when_all_else_is_equal() -> None:
    vectors = {video_id: VECTORS[1] for video_id in (1, 2, 3)}
    candidates = [Candidate(1, 50.0, 1990), Candidate(2, 50.0, 2025), Candidate(3, 50.0, 2010)]
    assert rank(candidates, PROFILE, vectors, now=NOW) == [2, 3, 1]
    added = [
        Candidate(1, 50.0, 1990, added_at=NOW - timedelta(days=3)),
        Candidate(2, 50.0, 2025),
    ]
    assert rank(added, PROFILE, vectors, now=NOW)[0] == 1  # newly added: new on Flix


def test_zero_recency_weight_ignores_age() -> None:
    vectors = {1: VECTORS[1], 2: VECTORS[2]}
    candidates = [Candidate(1, 50.0, 1950), Candidate(2, 50.0, 2026)]
    weights = RankWeights(recency=0.0)
    assert rank(candidates, PROFILE, vectors, now=NOW, weights=weights) == [1, 2]


def test_a_profile_without_embedding_falls_back_to_popularity() -> None:
    candidates = [Candidate(1, 5.0, 2026), Candidate(2, 500.0, 1950), Candidate(3, 50.0)]
    assert rank(candidates, None, VECTORS, now=NOW) == [2, 3, 1]
    zero = np.zeros(3, dtype=np.float32)  # a profile whose signals cancelled out
    assert rank(candidates, zero, VECTORS, now=NOW) == [2, 3, 1]


def test_popularity_fallback_breaks_ties_by_recency_then_id() -> None:
    candidates = [Candidate(9, 5.0, 2000), Candidate(4, 5.0, 2020), Candidate(2, 5.0, 2000)]
    assert rank(candidates, None, {}, now=NOW) == [4, 2, 9]


def test_a_title_without_embedding_ranks_as_neutral() -> None:
    candidates = [Candidate(video_id, 100.0, 2020) for video_id in (1, 2, 3, 42)]
    ranked = rank(candidates, PROFILE, VECTORS, now=NOW)
    # No vector: cosine 0, level with the orthogonal title; more popular, lower id first.
    assert ranked == [1, 2, 42, 3]


def test_rank_returns_only_candidates_and_respects_limit() -> None:
    candidates = [Candidate(2, 1.0), Candidate(3, 2.0)]
    assert rank(candidates, PROFILE, VECTORS, now=NOW, limit=1) == [2]
    assert rank([], PROFILE, VECTORS, now=NOW) == []


def test_rank_refuses_a_vector_from_another_model() -> None:
    with pytest.raises(ValueError, match="different sizes"):
        rank([Candidate(1, 1.0)], np.ones(5), VECTORS, now=NOW)
