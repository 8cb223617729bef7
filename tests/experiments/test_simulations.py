"""Operating characteristics by simulation: A/A false positives, power for a planted effect.

Each simulation runs thousands of experiments at once through the vectorized
tests. Tolerances are at least 3.5 binomial standard errors of the simulated
rate, and the seeds are fixed, so the tests are both meaningful and stable.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats

from experiments import stats
from experiments.analysis import analyze
from experiments.moments import Moments
from tests.experiments.builders import running

ALPHA = 0.05


def test_a_a_false_positive_rate_of_welch_is_alpha() -> None:
    # 2,000 A/A experiments of 1,000 profiles per arm, on skewed (exponential) watch times.
    rng = np.random.default_rng(11)
    sims, n = 2000, 1000
    control, treatment = rng.exponential(30.0, (2, sims, n))
    result = stats.welch(
        control.mean(1), control.var(1, ddof=1), n, treatment.mean(1), treatment.var(1, ddof=1), n
    )
    false_positive_rate = np.mean(result.p_value < ALPHA)
    assert 0.03 <= false_positive_rate <= 0.07
    # And the intervals cover the true difference (0) as often as they claim.
    assert 0.93 <= np.mean((result.ci_low <= 0) & (result.ci_high >= 0)) <= 0.97


def test_a_a_false_positive_rate_of_the_z_test_is_alpha() -> None:
    rng = np.random.default_rng(12)
    sims, n, rate = 4000, 2000, 0.3
    successes = rng.binomial(n, rate, (2, sims))
    result = stats.two_proportion(successes[0], n, successes[1], n)
    assert 0.03 <= np.mean(result.p_value < ALPHA) <= 0.07


def test_a_a_through_the_whole_analysis_with_cuped_and_bh() -> None:
    # 1,500 A/A reports of five independent metrics each, CUPED on. Under the global null,
    # BH keeps the chance of any significant metric at alpha.
    rng = np.random.default_rng(13)
    experiment = running(
        guardrail_metrics=(
            "rebuffer_ratio",
            "streaming_starts_per_profile",
            "time_to_first_frame_ms",
            "completion_rate",
        )
    )
    sims, n = 1500, 500
    any_significant = 0
    for _ in range(sims):
        data: dict[str, dict[str, Moments]] = {}
        for metric in experiment.metrics:
            if metric == "completion_rate":
                completed = rng.binomial(1, 0.4, (2, n))
                data[metric] = {
                    "control": Moments.of(completed[0]),
                    "treatment": Moments.of(completed[1]),
                }
                continue
            pre = rng.gamma(2.0, 10.0, (2, n))
            post = 0.8 * pre + rng.gamma(2.0, 5.0, (2, n))
            data[metric] = {
                "control": Moments.of(post[0], pre[0]),
                "treatment": Moments.of(post[1], pre[1]),
            }
        report = analyze(experiment, data, {"control": n, "treatment": n})
        any_significant += any(result.significant for result in report.metrics)
        assert all(r.cuped_applied for r in report.metrics if r.metric != "completion_rate")
    assert 0.03 <= any_significant / sims <= 0.07


def test_a_planted_effect_is_detected_with_the_expected_power() -> None:
    # Effect sized for ~80% power at 500 profiles per arm (sigma 1); the exact power of the
    # two-sided Welch test with equal variances comes from the noncentral t distribution.
    rng = np.random.default_rng(14)
    sims, n, sigma = 2000, 500, 1.0
    effect = (scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)) * sigma * np.sqrt(2 / n)
    df = 2 * n - 2
    noncentrality = effect / (sigma * np.sqrt(2 / n))
    critical = scipy_stats.t.ppf(0.975, df)
    expected = scipy_stats.nct.sf(critical, df, noncentrality) + scipy_stats.nct.cdf(
        -critical, df, noncentrality
    )
    control = rng.normal(0.0, sigma, (sims, n))
    treatment = rng.normal(effect, sigma, (sims, n))
    result = stats.welch(
        control.mean(1), control.var(1, ddof=1), n, treatment.mean(1), treatment.var(1, ddof=1), n
    )
    power = np.mean(result.p_value < ALPHA)
    assert 0.79 < expected < 0.81
    assert abs(power - expected) < 0.035


def test_a_planted_rate_change_is_detected_with_the_expected_power() -> None:
    rng = np.random.default_rng(15)
    sims, n, p_c, p_t = 4000, 2000, 0.30, 0.34
    z = scipy_stats.norm.ppf(0.975)
    pooled = (p_c + p_t) / 2
    se_null = np.sqrt(pooled * (1 - pooled) * 2 / n)
    se_alt = np.sqrt((p_c * (1 - p_c) + p_t * (1 - p_t)) / n)
    delta = p_t - p_c
    expected = scipy_stats.norm.cdf((delta - z * se_null) / se_alt) + scipy_stats.norm.cdf(
        (-delta - z * se_null) / se_alt
    )
    result = stats.two_proportion(rng.binomial(n, p_c, sims), n, rng.binomial(n, p_t, sims), n)
    assert abs(np.mean(result.p_value < ALPHA) - expected) < 0.03


def test_unequal_weights_keep_the_false_positive_rate() -> None:
    # A 90/10 split with a variance the treatment doubled: Welch, not Student, stays at alpha.
    rng = np.random.default_rng(16)
    sims = 3000
    control = rng.normal(0, 1, (sims, 900))
    treatment = rng.normal(0, 2, (sims, 100))
    result = stats.welch(
        control.mean(1),
        control.var(1, ddof=1),
        900,
        treatment.mean(1),
        treatment.var(1, ddof=1),
        100,
    )
    assert 0.03 <= np.mean(result.p_value < ALPHA) <= 0.07
    # Student's pooled-variance test on the same data would cry wolf about a quarter of the time.
    student = scipy_stats.ttest_ind(treatment, control, axis=1)
    assert np.mean(student.pvalue < ALPHA) > 0.15
