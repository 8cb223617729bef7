"""Always-valid confidence sequences (mSPRT)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import optimize

from experiments import sequential, stats
from experiments.analysis import Observations, analyze
from tests.experiments.builders import running


def log_mixture_ratio(diff: float, null: float, se: float, tau: float) -> float:
    """log Λ of the normal-mixture SPRT, straight from its definition."""
    s2, t2 = se**2, tau**2
    return float(0.5 * np.log(s2 / (s2 + t2)) + t2 * (diff - null) ** 2 / (2 * s2 * (s2 + t2)))


@pytest.mark.parametrize(("se", "tau"), [(0.1, 0.05), (0.01, 0.03), (2.0, 10.0)])
def test_half_width_is_where_the_mixture_ratio_reaches_one_over_alpha(
    se: float, tau: float
) -> None:
    width = float(sequential.half_width(se, tau, alpha=0.05))
    edge = optimize.brentq(
        lambda null: log_mixture_ratio(0.0, null, se, tau) - np.log(20), 0.0, 100 * (se + tau)
    )
    assert width == pytest.approx(edge, rel=1e-9)
    # At the edge of the sequence the always-valid p-value is exactly alpha.
    assert float(sequential.always_valid_p_value(width, se, tau)) == pytest.approx(0.05, rel=1e-9)
    assert float(sequential.always_valid_p_value(0.0, se, tau)) == 1.0
    assert float(sequential.always_valid_p_value(1e6 * se, se, tau)) == 0.0  # no overflow


def test_always_wider_than_the_fixed_horizon_interval() -> None:
    se = np.geomspace(1e-4, 10, 50)
    for tau in (1e-3, 0.1, 5.0):
        assert np.all(sequential.half_width(se, tau) > 1.96 * se)


def test_coverage_when_peeking_after_every_profile() -> None:
    # 400 experiments with a true lift of 0.1 sd, looked at after every pair of profiles from 10
    # to 2,000 per arm: the sequence must hold the truth at every look in >= 95% of them. The
    # fixed-horizon interval, peeked at the same way, loses it in a large share.
    rng = np.random.default_rng(31)
    runs, steps, effect, start = 400, 2000, 0.1, 10
    n = np.arange(1, steps + 1)

    def running_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = np.cumsum(values, axis=1) / n
        with np.errstate(divide="ignore", invalid="ignore"):
            var = (np.cumsum(values**2, axis=1) - n * mean**2) / (n - 1)
        return mean[:, start:], var[:, start:]

    mean_c, var_c = running_moments(rng.normal(0.0, 1.0, (runs, steps)))
    mean_t, var_t = running_moments(rng.normal(effect, 1.0, (runs, steps)))
    looks = n[start:]
    fixed = stats.welch(mean_c, var_c, looks, mean_t, var_t, looks)
    tau = sequential.DEFAULT_TAU_STD * np.sqrt((var_c + var_t) / 2)
    width = sequential.half_width(fixed.se, tau)
    sequence_missed = np.any(np.abs(fixed.diff - effect) > width, axis=1).mean()
    fixed_missed = np.any((fixed.ci_low > effect) | (fixed.ci_high < effect), axis=1).mean()
    assert sequence_missed <= 0.05
    assert fixed_missed > 0.25


def test_the_report_carries_sequential_intervals_around_both_lifts() -> None:
    rng = np.random.default_rng(32)
    control, treatment = rng.gamma(2, 30, 3000), rng.gamma(2, 31, 3000)
    report = analyze(
        running(guardrail_metrics=("completion_rate",)),
        {
            "watch_time_minutes": {
                "control": Observations(control),
                "treatment": Observations(treatment),
            },
            "completion_rate": {
                "control": Observations(rng.binomial(1, 0.5, 3000)),
                "treatment": Observations(rng.binomial(1, 0.52, 3000)),
            },
        },
        {"control": 3000, "treatment": 3000},
    )
    for result in report.metrics:
        for names in (
            ("sequential_ci_low", "abs_ci_low", "abs_lift", "abs_ci_high", "sequential_ci_high"),
            (
                "sequential_rel_ci_low",
                "rel_ci_low",
                "rel_lift",
                "rel_ci_high",
                "sequential_rel_ci_high",
            ),
        ):
            values = [getattr(result, name) for name in names]
            assert None not in values
            # Strictly nested: the always-valid interval contains the fixed-horizon one.
            assert all(a < b for a, b in itertools.pairwise(values)), names
