"""Fixed-horizon tests of treatment against control, and the Benjamini-Hochberg correction.

Every function is vectorized: inputs broadcast like numpy arrays, so one call
can test a single metric or ten thousand simulated experiments. Undefined
results (no variance, fewer than two observations) come out as NaN, never as a
warning. Only the reference distributions come from scipy (as the ufuncs of
``scipy.special``, which broadcast without ``scipy.stats``' per-call overhead);
the statistics are computed here.

Assumptions shared by both tests: observations are independent across profiles
(the randomization unit), and samples are large enough for the central limit
theorem to make the difference of means approximately normal. Per-profile
streaming metrics are skewed (a few binge watchers), which slows that
convergence; with the thousands of profiles per arm a streaming experiment has,
the approximation is good (see the A/A simulation in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

FloatArray: TypeAlias = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Treatment minus control. Every field has the broadcast shape of the inputs.

    ``se`` is the standard error of ``diff`` used for the confidence interval;
    ``df`` is the degrees of freedom of the reference t distribution (``inf``
    for a normal one).
    """

    diff: FloatArray
    se: FloatArray
    statistic: FloatArray
    df: FloatArray
    p_value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray


def welch(
    control_mean: ArrayLike,
    control_var: ArrayLike,
    control_n: ArrayLike,
    treatment_mean: ArrayLike,
    treatment_var: ArrayLike,
    treatment_n: ArrayLike,
    *,
    alpha: float = 0.05,
) -> Comparison:
    """Welch's unequal-variance t-test, with a (1 - alpha) interval for the difference of means.

    With sample variances s² (ddof 1) and sizes n::

        se = sqrt(s_t²/n_t + s_c²/n_c)
        t  = (mean_t - mean_c) / se
        df = se⁴ / ((s_t²/n_t)² / (n_t - 1) + (s_c²/n_c)² / (n_c - 1))   (Welch-Satterthwaite)
        p  = 2 · P(T_df > |t|),  CI = diff ± t_{df, 1-alpha/2} · se

    Does not assume equal variances, which a treatment often changes.
    """
    mean_c, var_c, n_c = _floats(control_mean, control_var, control_n)
    mean_t, var_t, n_t = _floats(treatment_mean, treatment_var, treatment_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        part_c, part_t = var_c / n_c, var_t / n_t
        se = np.sqrt(part_c + part_t)
        df = (part_c + part_t) ** 2 / (part_c**2 / (n_c - 1) + part_t**2 / (n_t - 1))
        diff = mean_t - mean_c
        t = diff / se
        df = np.where(np.isfinite(t), df, np.nan)
        p = 2 * special.stdtr(df, -np.abs(t))
        margin = special.stdtrit(df, 1 - alpha / 2) * se
        return Comparison(diff, se, t, df, _array(p), diff - margin, diff + margin)


def two_proportion(
    control_successes: ArrayLike,
    control_n: ArrayLike,
    treatment_successes: ArrayLike,
    treatment_n: ArrayLike,
    *,
    alpha: float = 0.05,
) -> Comparison:
    """The two-proportion z-test, and a Wald (1 - alpha) interval for the difference of rates.

    The test uses the pooled rate under H0 (both arms share one rate p̂)::

        z = (p_t - p_c) / sqrt(p̂ (1 - p̂) (1/n_t + 1/n_c)),  p = 2 · P(Z > |z|)

    which equals Pearson's χ² test of the 2x2 table without continuity correction.
    The interval cannot assume H0, so it uses the unpooled standard error
    ``sqrt(p_t(1-p_t)/n_t + p_c(1-p_c)/n_c)``, which is also the ``se`` returned.
    Needs roughly ten successes and ten failures per arm for the normal approximation.
    """
    s_c, n_c, s_t, n_t = _floats(control_successes, control_n, treatment_successes, treatment_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_c, p_t = s_c / n_c, s_t / n_t
        pooled = (s_c + s_t) / (n_c + n_t)
        diff = p_t - p_c
        z = diff / np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
        se = np.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
        p = 2 * special.ndtr(-np.abs(z))
        margin = special.ndtri(1 - alpha / 2) * se
        df = np.full_like(diff, np.inf)
        return Comparison(diff, se, z, df, _array(p), diff - margin, diff + margin)


@dataclass(frozen=True, slots=True)
class RelativeLift:
    """``treatment_mean / control_mean - 1`` with a delta-method standard error and interval."""

    lift: FloatArray
    se: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray


def relative_lift(
    control_mean: ArrayLike,
    control_mean_var: ArrayLike,
    treatment_mean: ArrayLike,
    treatment_mean_var: ArrayLike,
    *,
    alpha: float = 0.05,
) -> RelativeLift:
    """Relative lift with a first-order delta-method interval (Deng et al., KDD 2018).

    For independent arms with means μ_c, μ_t and variances of those means v_c, v_t
    (a sample's variance over n)::

        lift = μ_t/μ_c - 1,  se² ≈ v_t/μ_c² + μ_t² v_c/μ_c⁴,  CI = lift ± z_{1-alpha/2} · se

    Asymptotic: it needs the control mean well away from zero relative to its
    standard error; NaN when the control mean is 0.
    """
    mean_c, var_c, mean_t, var_t = _floats(
        control_mean, control_mean_var, treatment_mean, treatment_mean_var
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        # A lift relative to nothing is undefined, not infinite.
        defined = mean_c != 0
        lift = np.where(defined, mean_t / mean_c - 1, np.nan)
        se = np.where(defined, np.sqrt(var_t / mean_c**2 + mean_t**2 * var_c / mean_c**4), np.nan)
        margin = special.ndtri(1 - alpha / 2) * se
        return RelativeLift(lift, se, lift - margin, lift + margin)


def benjamini_hochberg(p_values: ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (q-values) for a 1-D family of tests.

    ``q_(i) = min_{j ≥ i} min(1, m · p_(j) / j)`` over the ascending p-values; rejecting
    every test with ``q < alpha`` controls the false discovery rate at alpha for
    independent or positively dependent tests (metrics of one experiment usually are).
    NaN entries (tests that could not be run) stay NaN and do not count in m.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("benjamini_hochberg takes a 1-D array of p-values")
    adjusted = np.full_like(p, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    if present.size == 0:
        return adjusted
    order = present[np.argsort(p[present], kind="stable")]
    m = order.size
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return adjusted


def _floats(*values: ArrayLike) -> tuple[FloatArray, ...]:
    return tuple(np.asarray(value, dtype=np.float64) for value in values)


def _array(value: object) -> FloatArray:
    return np.asarray(value, dtype=np.float64)
