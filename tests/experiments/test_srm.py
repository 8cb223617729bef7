"""Sample-ratio mismatch."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments.srm import sample_ratio_mismatch

HALVES = {"control": 50.0, "treatment": 50.0}


def test_a_planted_52_48_split_is_flagged() -> None:
    check = sample_ratio_mismatch({"control": 10_400, "treatment": 9_600}, HALVES)
    assert check.flagged
    assert check.chi2 == pytest.approx(32.0)
    assert check.p_value < 1e-6
    assert dict(check.expected) == {"control": 10_000.0, "treatment": 10_000.0}
    assert dict(check.observed) == {"control": 10_400, "treatment": 9_600}


def test_a_random_52_48_allocation_of_20000_is_flagged_and_a_fair_one_is_not() -> None:
    rng = np.random.default_rng(41)
    skewed = int(rng.binomial(20_000, 0.52))
    assert sample_ratio_mismatch({"control": skewed, "treatment": 20_000 - skewed}, HALVES).flagged
    fair = int(rng.binomial(20_000, 0.50))
    assert not sample_ratio_mismatch({"control": fair, "treatment": 20_000 - fair}, HALVES).flagged


def test_false_alarms_are_rare() -> None:
    rng = np.random.default_rng(42)
    counts = rng.multinomial(30_000, [0.5, 0.3, 0.2], size=3000)
    weights = {"a": 50.0, "b": 30.0, "c": 20.0}
    flagged = sum(
        sample_ratio_mismatch(dict(zip(weights, row.tolist(), strict=True)), weights).flagged
        for row in counts
    )
    assert flagged <= 6  # expected 3 at p < 0.001


def test_matches_scipy_chisquare() -> None:
    observed = {"a": 5_120, "b": 2_950, "c": 1_930}
    weights = {"a": 50.0, "b": 30.0, "c": 20.0}
    check = sample_ratio_mismatch(observed, weights)
    reference = scipy_stats.chisquare([5_120, 2_950, 1_930], [5_000, 3_000, 2_000])
    assert check.chi2 == pytest.approx(reference.statistic, rel=1e-12)
    assert check.p_value == pytest.approx(reference.pvalue, rel=1e-9)


def test_edges() -> None:
    empty = sample_ratio_mismatch({}, HALVES)
    assert (empty.chi2, empty.p_value, empty.flagged) == (0.0, 1.0, False)
    assert dict(sample_ratio_mismatch({"control": 7}, HALVES).observed) == {
        "control": 7,
        "treatment": 0,
    }
    with pytest.raises(ValueError, match="unknown variants"):
        sample_ratio_mismatch({"other": 1}, HALVES)
    with pytest.raises(ValueError, match="positive"):
        sample_ratio_mismatch({}, {"a": 0.0, "b": 100.0})
