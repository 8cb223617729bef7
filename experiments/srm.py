"""Sample-ratio mismatch: does the traffic split match the configured weights?

A split that is off (say 52/48 on a 50/50 test) means something other than
the coin decided who is counted in each arm — a redirect that loses users in
one variant, a bot filter, a treatment that crashes before logging — and every
metric of the experiment is then suspect, however significant it looks.

Pearson's χ² goodness of fit of the per-variant profile counts ``o_i`` against
``e_i = N · w_i / Σw``: ``χ² = Σ (o_i - e_i)² / e_i`` with ``k - 1`` degrees of
freedom. Flagged at p < 0.001: the check runs on every look at every
experiment, so it must rarely fire by chance, and real mismatches at streaming
sample sizes give p-values far below that. Count profiles (the randomization
unit), never events, and leave forced (QA) profiles out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from scipy import special

SRM_THRESHOLD: Final = 0.001


@dataclass(frozen=True, slots=True)
class SampleRatio:
    """The χ² check: counts observed and expected per variant key."""

    chi2: float
    p_value: float
    flagged: bool
    observed: Mapping[str, int]
    expected: Mapping[str, float]


def sample_ratio_mismatch(
    observed: Mapping[str, int],
    weights: Mapping[str, float],
    *,
    threshold: float = SRM_THRESHOLD,
) -> SampleRatio:
    """Check *observed* profile counts against *weights* (any positive scale, e.g. percents).

    A variant missing from *observed* counts as 0; a count for a variant not in
    *weights* is a ``ValueError``.
    """
    unknown = set(observed) - set(weights)
    if unknown:
        raise ValueError(f"counts for unknown variants: {sorted(unknown)}")
    if any(weight <= 0 for weight in weights.values()):
        raise ValueError("weights must be positive")
    counts = {key: int(observed.get(key, 0)) for key in weights}
    total = sum(counts.values())
    weight_total = math.fsum(weights.values())
    expected = {key: total * weight / weight_total for key, weight in weights.items()}
    if total == 0:
        return SampleRatio(0.0, 1.0, False, counts, expected)
    chi2 = math.fsum((counts[key] - expected[key]) ** 2 / expected[key] for key in weights)
    p_value = float(special.chdtrc(len(weights) - 1, chi2))
    return SampleRatio(chi2, p_value, p_value < threshold, counts, expected)
