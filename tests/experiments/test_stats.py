"""The statistics against scipy's own implementations, on generated data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments import stats
from experiments.moments import Moments


@pytest.mark.parametrize(("n_c", "n_t", "seed"), [(400, 300, 1), (25, 60, 2), (5000, 5000, 3)])
def test_welch_matches_scipy(n_c: int, n_t: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    control = rng.exponential(3.0, n_c)  # skewed, like watch time
    treatment = rng.exponential(3.4, n_t) + 0.2
    c, t = Moments.of(control), Moments.of(treatment)
    ours = stats.welch(c.mean, c.var, c.n, t.mean, t.var, t.n)
    reference = scipy_stats.ttest_ind(treatment, control, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert float(ours.diff) == pytest.approx(treatment.mean() - control.mean(), rel=1e-12)
    assert float(ours.statistic) == pytest.approx(reference.statistic, rel=1e-10)
    assert float(ours.df) == pytest.approx(reference.df, rel=1e-10)
    assert float(ours.p_value) == pytest.approx(reference.pvalue, rel=1e-9)
    assert float(ours.ci_low) == pytest.approx(interval.low, rel=1e-9)
    assert float(ours.ci_high) == pytest.approx(interval.high, rel=1e-9)


def test_welch_at_other_alphas_matches_scipy() -> None:
    rng = np.random.default_rng(4)
    control, treatment = rng.normal(10, 2, 200), rng.normal(10.5, 3, 150)
    c, t = Moments.of(control), Moments.of(treatment)
    ours = stats.welch(c.mean, c.var, c.n, t.mean, t.var, t.n, alpha=0.1)
    interval = scipy_stats.ttest_ind(treatment, control, equal_var=False).confidence_interval(0.9)
    assert (float(ours.ci_low), float(ours.ci_high)) == pytest.approx((interval.low, interval.high))


def test_welch_is_vectorized() -> None:
    rng = np.random.default_rng(5)
    control, treatment = rng.normal(0, 1, (50, 80)), rng.normal(0.1, 1.3, (50, 60))
    ours = stats.welch(
        control.mean(1), control.var(1, ddof=1), 80, treatment.mean(1), treatment.var(1, ddof=1), 60
    )
    reference = scipy_stats.ttest_ind(treatment, control, axis=1, equal_var=False)
    assert ours.p_value.shape == (50,)
    np.testing.assert_allclose(ours.p_value, reference.pvalue, rtol=1e-9)
    np.testing.assert_allclose(ours.statistic, reference.statistic, rtol=1e-10)


def test_welch_without_variation_is_undefined_not_a_warning() -> None:
    result = stats.welch(1.0, 0.0, 10, 2.0, 0.0, 10)
    assert np.isnan(result.p_value) and np.isnan(result.ci_low)
    result = stats.welch(1.0, np.nan, 1, 2.0, 1.0, 10)
    assert np.isnan(result.p_value)


@pytest.mark.parametrize(
    ("s_c", "n_c", "s_t", "n_t"),
    [(300, 1000, 345, 1000), (40, 500, 30, 520), (5000, 20000, 5200, 19800)],
)
def test_two_proportion_z_test(s_c: int, n_c: int, s_t: int, n_t: int) -> None:
    ours = stats.two_proportion(s_c, n_c, s_t, n_t)
    p_c, p_t = s_c / n_c, s_t / n_t
    pooled = (s_c + s_t) / (n_c + n_t)
    z = (p_t - p_c) / np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    se = np.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    assert float(ours.statistic) == pytest.approx(z, rel=1e-12)
    assert float(ours.p_value) == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), rel=1e-12)
    assert float(ours.ci_low) == pytest.approx(
        p_t - p_c - scipy_stats.norm.ppf(0.975) * se, rel=1e-12
    )
    assert float(ours.ci_high) == pytest.approx(
        p_t - p_c + scipy_stats.norm.ppf(0.975) * se, rel=1e-12
    )
    # The pooled z-test is Pearson's chi-squared test of the 2x2 table (z^2 = chi2).
    table = np.array([[s_c, n_c - s_c], [s_t, n_t - s_t]])
    pearson = scipy_stats.chi2_contingency(table, correction=False)
    assert float(ours.statistic) ** 2 == pytest.approx(pearson.statistic, rel=1e-10)
    assert float(ours.p_value) == pytest.approx(pearson.pvalue, rel=1e-9)


def test_benjamini_hochberg_matches_scipy() -> None:
    rng = np.random.default_rng(6)
    for size in (1, 2, 5, 40):
        p = np.concatenate([rng.uniform(0, 1, size), rng.uniform(0, 0.01, size // 2)])
        np.testing.assert_allclose(
            stats.benjamini_hochberg(p),
            scipy_stats.false_discovery_control(p, method="bh"),
            rtol=1e-12,
        )
    ties = np.array([0.01, 0.01, 0.04, 0.04, 0.5])
    np.testing.assert_allclose(
        stats.benjamini_hochberg(ties), scipy_stats.false_discovery_control(ties, method="bh")
    )


def test_benjamini_hochberg_leaves_missing_tests_out_of_the_family() -> None:
    adjusted = stats.benjamini_hochberg([0.01, np.nan, 0.04])
    np.testing.assert_allclose(adjusted, [0.02, np.nan, 0.04])
    assert stats.benjamini_hochberg([]).shape == (0,)
    with pytest.raises(ValueError, match="1-D"):
        stats.benjamini_hochberg([[0.1]])


def test_relative_lift_delta_method_covers_in_simulation() -> None:
    # The delta-method interval for mean_t / mean_c - 1 should cover the true lift ~95% of the time.
    rng = np.random.default_rng(7)
    sims, n, true_lift = 5000, 400, 0.05
    control = rng.exponential(10.0, (sims, n))
    treatment = rng.exponential(10.0 * (1 + true_lift), (sims, n))
    result = stats.relative_lift(
        control.mean(1), control.var(1, ddof=1) / n, treatment.mean(1), treatment.var(1, ddof=1) / n
    )
    covered = np.mean((result.ci_low <= true_lift) & (true_lift <= result.ci_high))
    assert 0.935 < covered < 0.965
    assert np.isnan(stats.relative_lift(0.0, 1.0, 1.0, 1.0).lift)


def test_moments_from_sums_match_arrays() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(50, 10, 300)
    y = 0.5 * x + rng.normal(0, 5, 300)
    direct = Moments.of(y, x)
    sums = Moments.from_sums(300, y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum())
    for name in ("mean", "var", "x_mean", "x_var", "xy_cov"):
        assert getattr(sums, name) == pytest.approx(getattr(direct, name), rel=1e-9), name
    assert direct.xy_cov == pytest.approx(np.cov(x, y)[0, 1])
    assert Moments.of([]).n == 0 and np.isnan(Moments.of([1.0]).var)
    with pytest.raises(ValueError, match="one entry per value"):
        Moments.of([1.0, 2.0], [1.0])
