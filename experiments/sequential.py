"""Always-valid inference: confidence sequences from the mixture SPRT (mSPRT).

A fixed-horizon 95% interval is valid once, at the sample size planned in
advance. Looked at every day and acted on the first time it excludes zero, it
fails far more often than 5% of the time. A confidence sequence instead holds
at every sample size simultaneously: ``P(the true effect leaves the interval at
any look) ≤ alpha``, so results may be read, and an experiment stopped, while
it runs.

Method (Johari, Pekelis, Walsh, "Always valid inference", Operations Research
2022; Robbins' normal mixture). Let Δ̂ be the estimated difference with standard
error ``s`` (``s² = var_t/n_t + var_c/n_c``, from the same moments as the fixed
test) and treat Δ̂ as normal around the true Δ. Mixing the likelihood ratio of
Δ against Δ̂ over a prior ``Δ ~ N(Δ₀, τ²)`` gives the mSPRT statistic::

    Λ(Δ₀) = sqrt(s² / (s² + τ²)) · exp(τ² (Δ̂ - Δ₀)² / (2 s² (s² + τ²)))

a nonnegative martingale under Δ = Δ₀, so by Ville's inequality
``P(sup_n Λ ≥ 1/alpha) ≤ alpha``. The values Δ₀ with ``Λ(Δ₀) < 1/alpha`` form
the confidence sequence ``Δ̂ ± h`` with::

    h = sqrt( s² (s² + τ²) / τ² · (2 log(1/alpha) + log((s² + τ²) / s²)) )

and the always-valid p-value is ``min(1, 1/Λ(0))`` (the running minimum over looks).

Tuning: τ is the scale of effects one expects. At alpha = 0.05 the interval
is tightest when ``τ² ≈ 9 s²`` and within 10% of that best width for τ²/s²
anywhere from 2 to 150, a 75-fold range of sample sizes, so τ need only be the
right order of magnitude. The analysis sets ``τ = tau_std * sigma`` with sigma the
pooled per-profile standard deviation, i.e. τ in effect-size units (Cohen's d);
the default 0.05 is tightest near 7,000 profiles per arm and within 10% of its
best from about 1,600 to 120,000 per arm. The interval is always wider than the fixed-horizon one,
the price of looking at any time. The normal approximation and a plug-in
variance make the guarantee asymptotic, so read it once each arm has a few
hundred profiles.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from experiments.stats import FloatArray

DEFAULT_TAU_STD = 0.05
"""Default mixing scale τ in units of the metric's standard deviation."""


def half_width(se: ArrayLike, tau: ArrayLike, *, alpha: float = 0.05) -> FloatArray:
    """Half-width h of the (1 - alpha) mSPRT confidence sequence for an estimate with error *se*."""
    s2 = np.square(np.asarray(se, dtype=np.float64))
    t2 = np.square(np.asarray(tau, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.sqrt(s2 * (s2 + t2) / t2 * (2 * np.log(1 / alpha) + np.log((s2 + t2) / s2)))
    return np.asarray(width, dtype=np.float64)


def always_valid_p_value(diff: ArrayLike, se: ArrayLike, tau: ArrayLike) -> FloatArray:
    """``min(1, 1/Λ(0))`` at this look; the always-valid p-value is its running minimum."""
    d2 = np.square(np.asarray(diff, dtype=np.float64))
    s2 = np.square(np.asarray(se, dtype=np.float64))
    t2 = np.square(np.asarray(tau, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        # In logs: Λ overflows a float long before the p-value stops being informative.
        log_p = 0.5 * np.log((s2 + t2) / s2) - t2 * d2 / (2 * s2 * (s2 + t2))
    return np.asarray(np.exp(np.minimum(log_p, 0.0)), dtype=np.float64)
