"""CUPED: variance reduction with a pre-experiment covariate (Deng, Xu, Kohavi, Walker; WSDM 2013).

Each profile's metric y is replaced by ``y - θ (x - x̄)``, where x is the same
profile's value before the experiment (its pre-period watch time) and x̄ the
mean of x over every arm. Because x was fixed before randomization it is
independent of the assignment, so the adjustment leaves the expected difference
between arms unchanged while removing the part of y's variance that x explains:
the variance shrinks by the factor ``1 - rho²`` (rho = corr(x, y)), and the
confidence interval by ``sqrt(1 - rho²)`` — about 29% narrower at rho = 0.7.

θ is the pooled within-arm regression slope::

    θ = Σ_g (n_g - 1) cov_g(x, y) / Σ_g (n_g - 1) var_g(x)

Pooling within arms keeps a treatment's shift of y out of the slope. θ is then
treated as known; its estimation error shrinks like 1/n and does not matter at
experiment sizes. Profiles with no pre-period history should carry x = 0
rather than be dropped, since dropping them would change who is compared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from experiments.moments import Moments


def pooled_theta(samples: Sequence[Moments]) -> float | None:
    """θ for *samples* (one per arm), or ``None`` when any lacks the covariate or x never varies."""
    if not samples or not all(sample.has_covariate for sample in samples):
        return None
    numerator = math.fsum((s.n - 1) * (s.xy_cov or 0.0) for s in samples if s.n > 1)
    denominator = math.fsum((s.n - 1) * (s.x_var or 0.0) for s in samples if s.n > 1)
    if not (denominator > 0 and math.isfinite(numerator) and math.isfinite(denominator)):
        return None
    return numerator / denominator


def adjust(samples: Sequence[Moments], theta: float) -> list[Moments]:
    """The moments of the adjusted metric ``y - θ (x - x̄)`` for each of *samples*.

    Exactly the moments one would get by adjusting every profile's value and
    recomputing: the mean moves by ``-θ (x̄_g - x̄)`` and the variance becomes
    ``var(y) - 2θ cov(x, y) + θ² var(x)``.
    """
    total = sum(sample.n for sample in samples)
    center = math.fsum(s.n * (s.x_mean or 0.0) for s in samples if s.n) / total if total else 0.0
    adjusted: list[Moments] = []
    for s in samples:
        x_mean, x_var, xy_cov = s.x_mean or 0.0, s.x_var or 0.0, s.xy_cov or 0.0
        var = s.var - 2 * theta * xy_cov + theta * theta * x_var
        # Rounding can take a near-perfect fit a hair below zero.
        adjusted.append(Moments(s.n, s.mean - theta * (x_mean - center), max(var, 0.0)))
    return adjusted
