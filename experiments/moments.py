"""Sufficient statistics of one variant's sample of one metric.

Welch's test, the z-test and CUPED need only these moments, so the analysis can
run from per-profile arrays (:meth:`Moments.of`) or from running sums a metrics
consumer keeps current (:meth:`Moments.from_sums`) without reloading every
profile. ``y`` is the metric in the experiment; ``x`` is an optional
pre-experiment covariate of the same profiles (their pre-period watch time),
used by CUPED.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

_NAN = math.nan


@dataclass(frozen=True, slots=True)
class Moments:
    """Size, mean and sample variance (ddof 1) of y, and optionally of x and cov(x, y)."""

    n: int
    mean: float
    var: float
    x_mean: float | None = None
    x_var: float | None = None
    xy_cov: float | None = None

    @property
    def has_covariate(self) -> bool:
        return self.x_mean is not None and self.x_var is not None and self.xy_cov is not None

    @classmethod
    def of(cls, values: ArrayLike, covariate: ArrayLike | None = None) -> Moments:
        """Moments of per-profile *values*; *covariate*, if given, is aligned with them."""
        y = np.asarray(values, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError("values must be a 1-D array, one entry per profile")
        n = int(y.size)
        mean = float(y.mean()) if n else _NAN
        var = float(y.var(ddof=1)) if n > 1 else _NAN
        if covariate is None:
            return cls(n, mean, var)
        x = np.asarray(covariate, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError("covariate must have one entry per value")
        if n < 2:
            return cls(n, mean, var, float(x.mean()) if n else _NAN, _NAN, _NAN)
        x_mean = float(x.mean())
        xy_cov = float(np.dot(x - x_mean, y - mean) / (n - 1))
        return cls(n, mean, var, x_mean, float(x.var(ddof=1)), xy_cov)

    @classmethod
    def from_sums(
        cls,
        n: int,
        total: float,
        total_sq: float,
        x_total: float | None = None,
        x_total_sq: float | None = None,
        xy_total: float | None = None,
    ) -> Moments:
        """Moments from running sums: Σy, Σy², and optionally Σx, Σx², Σxy.

        Sums lose precision when the mean is huge next to the spread (catastrophic
        cancellation); in float64 that needs values around 1e8 times their standard
        deviation, far from minutes, counts, ratios or milliseconds.
        """
        mean = total / n if n else _NAN
        var = (total_sq - n * mean * mean) / (n - 1) if n > 1 else _NAN
        if x_total is None or x_total_sq is None or xy_total is None:
            return cls(n, mean, var)
        x_mean = x_total / n if n else _NAN
        if n < 2:
            return cls(n, mean, var, x_mean, _NAN, _NAN)
        x_var = (x_total_sq - n * x_mean * x_mean) / (n - 1)
        xy_cov = (xy_total - n * x_mean * mean) / (n - 1)
        return cls(n, mean, var, x_mean, x_var, xy_cov)
