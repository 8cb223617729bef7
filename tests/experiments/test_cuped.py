"""CUPED: unbiased, and a narrower interval when the covariate predicts the metric."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments import cuped
from experiments.analysis import Observations, analyze
from experiments.moments import Moments
from tests.experiments.builders import running


def correlated(
    rng: np.random.Generator, n: int, rho: float, effect: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Pre-period x and in-experiment y (watch-time-like scale) with corr(x, y) = rho."""
    x = rng.normal(0, 1, n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(0, 1, n)
    return 60 + 20 * x, 60 + effect + 20 * y


def test_theta_is_the_pooled_within_arm_slope() -> None:
    rng = np.random.default_rng(21)
    (x_c, y_c), (x_t, y_t) = correlated(rng, 800, 0.7), correlated(rng, 600, 0.7, effect=5)
    theta = cuped.pooled_theta([Moments.of(y_c, x_c), Moments.of(y_t, x_t)])
    # OLS of y on x with one intercept per arm: demean within arms, then one slope.
    xs = np.concatenate([x_c - x_c.mean(), x_t - x_t.mean()])
    ys = np.concatenate([y_c - y_c.mean(), y_t - y_t.mean()])
    assert theta == pytest.approx(float(xs @ ys / (xs @ xs)), rel=1e-12)
    assert cuped.pooled_theta([Moments.of(y_c), Moments.of(y_t, x_t)]) is None
    assert cuped.pooled_theta([Moments.of(y_c, np.ones_like(x_c))]) is None


def test_adjusted_moments_equal_adjusting_every_profile() -> None:
    rng = np.random.default_rng(22)
    (x_c, y_c), (x_t, y_t) = correlated(rng, 500, 0.6), correlated(rng, 700, 0.6, effect=3)
    samples = [Moments.of(y_c, x_c), Moments.of(y_t, x_t)]
    theta = cuped.pooled_theta(samples)
    assert theta is not None
    center = np.concatenate([x_c, x_t]).mean()
    adjusted_c, adjusted_t = y_c - theta * (x_c - center), y_t - theta * (x_t - center)
    ours = cuped.adjust(samples, theta)
    for moments, values in zip(ours, (adjusted_c, adjusted_t), strict=True):
        assert moments.mean == pytest.approx(values.mean(), rel=1e-12)
        assert moments.var == pytest.approx(values.var(ddof=1), rel=1e-9)
    # So the CUPED test is Welch's test on the adjusted values.
    report = analyze(
        running(guardrail_metrics=()),
        {"watch_time_minutes": {"control": samples[0], "treatment": samples[1]}},
        {"control": 500, "treatment": 700},
    )
    reference = scipy_stats.ttest_ind(adjusted_t, adjusted_c, equal_var=False)
    result = report.result("watch_time_minutes")
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.abs_ci_low == pytest.approx(reference.confidence_interval().low, rel=1e-9)


def test_cuped_shrinks_the_interval_on_correlated_data() -> None:
    rng = np.random.default_rng(23)
    rho = 0.7
    (x_c, y_c), (x_t, y_t) = correlated(rng, 5000, rho), correlated(rng, 5000, rho, effect=1)
    data = {
        "watch_time_minutes": {
            "control": Observations(y_c, x_c),
            "treatment": Observations(y_t, x_t),
        }
    }
    experiment = running(guardrail_metrics=())
    counts = {"control": 5000, "treatment": 5000}
    plain = analyze(experiment, data, counts, use_cuped=False).result("watch_time_minutes")
    adjusted = analyze(experiment, data, counts).result("watch_time_minutes")
    assert adjusted.cuped_applied and not plain.cuped_applied
    assert adjusted.variance_reduction == pytest.approx(rho**2, abs=0.03)

    def width(low: float | None, high: float | None) -> float:
        assert low is not None and high is not None
        return high - low

    ratio = width(adjusted.abs_ci_low, adjusted.abs_ci_high) / width(
        plain.abs_ci_low, plain.abs_ci_high
    )
    assert ratio == pytest.approx(np.sqrt(1 - rho**2), abs=0.03)  # ~29% narrower
    assert width(adjusted.rel_ci_low, adjusted.rel_ci_high) < 0.8 * width(
        plain.rel_ci_low, plain.rel_ci_high
    )
    seq_ratio = width(adjusted.sequential_ci_low, adjusted.sequential_ci_high) / width(
        plain.sequential_ci_low, plain.sequential_ci_high
    )
    assert seq_ratio < 0.8
    # The raw means are what people expect to see; the lift is the adjusted one.
    assert adjusted.control_mean == pytest.approx(y_c.mean())


def test_cuped_is_unbiased_and_covers_the_planted_effect() -> None:
    rng = np.random.default_rng(24)
    sims, n, effect = 600, 400, 2.0
    covered = 0
    lifts = []
    for _ in range(sims):
        (x_c, y_c), (x_t, y_t) = correlated(rng, n, 0.7), correlated(rng, n, 0.7, effect=effect)
        report = analyze(
            running(guardrail_metrics=()),
            {
                "watch_time_minutes": {
                    "control": Observations(y_c, x_c),
                    "treatment": Observations(y_t, x_t),
                }
            },
            {"control": n, "treatment": n},
        )
        result = report.result("watch_time_minutes")
        assert (
            result.abs_lift is not None
            and result.abs_ci_low is not None
            and result.abs_ci_high is not None
        )
        lifts.append(result.abs_lift)
        covered += result.abs_ci_low <= effect <= result.abs_ci_high
    # Standard error of the mean lift is ~0.04 (adjusted sd 14.3, 400 per arm, 600 runs).
    assert abs(np.mean(lifts) - effect) < 0.15
    assert 0.92 <= covered / sims <= 0.98
