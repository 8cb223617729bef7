"""Experiment results: every treatment against the control, for every metric of the experiment.

For each (metric, treatment variant):

- ``mean`` metrics: Welch's t-test and interval on the difference of means
  (:func:`experiments.stats.welch`), after CUPED when every arm carries the
  pre-experiment covariate (:mod:`experiments.cuped`);
- ``proportion`` metrics (one 0/1 outcome per profile): the two-proportion
  z-test (:func:`experiments.stats.two_proportion`); CUPED is not applied, which
  keeps the test exact for Bernoulli outcomes;
- the relative lift with a delta-method interval;
- an always-valid (mSPRT) confidence sequence for both lifts
  (:mod:`experiments.sequential`), the interval to act on while the test runs;
- p-values adjusted with Benjamini-Hochberg across all comparisons of the
  report (every metric, primary and guardrails, times every treatment);
  ``significant`` means ``p_adjusted < alpha``. The fixed-horizon intervals are
  per comparison and not adjusted.

Plus one sample-ratio-mismatch check (:mod:`experiments.srm`) on the profile
counts per variant; when it is flagged, no metric result should be trusted.

With CUPED the lifts compare adjusted means; ``control_mean`` and
``treatment_mean`` stay the raw means people expect to see. Statistics that
cannot be computed (an empty arm, no variance, a zero control mean) are ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from experiments import cuped, sequential, stats
from experiments.metrics import METRICS, MetricKind
from experiments.model import Experiment
from experiments.moments import Moments
from experiments.srm import SampleRatio, sample_ratio_mismatch


@dataclass(frozen=True, slots=True)
class Observations:
    """Per-profile values of one metric in one variant, with the aligned pre-period covariate."""

    values: ArrayLike
    covariate: ArrayLike | None = None


Sample = Moments | Observations
"""One variant's data for one metric: raw observations or their moments."""


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One metric, one treatment variant against the control.

    ``abs_*`` are in the metric's unit (treatment - control); ``rel_*`` are
    fractions (0.02 = +2%). ``ci_*`` are fixed-horizon (1 - alpha) intervals,
    valid at one planned look; ``sequential_*`` are always-valid intervals,
    valid at every look.
    """

    metric: str
    kind: MetricKind
    primary: bool
    variant: str
    control: str
    control_n: int
    treatment_n: int
    control_mean: float | None
    treatment_mean: float | None
    abs_lift: float | None
    abs_ci_low: float | None
    abs_ci_high: float | None
    rel_lift: float | None
    rel_ci_low: float | None
    rel_ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    cuped_applied: bool
    # Share of the variance CUPED removed (≈ rho²); None without CUPED.
    variance_reduction: float | None
    sequential_ci_low: float | None
    sequential_ci_high: float | None
    sequential_rel_ci_low: float | None
    sequential_rel_ci_high: float | None


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    experiment_key: str
    phase: int
    control: str
    alpha: float
    metrics: tuple[MetricResult, ...]
    srm: SampleRatio

    def result(self, metric: str, variant: str | None = None) -> MetricResult:
        """The result for *metric* (and *variant*, needed with several treatments)."""
        for found in self.metrics:
            if found.metric == metric and variant in (None, found.variant):
                return found
        raise KeyError((metric, variant))


def analyze(
    experiment: Experiment,
    data: Mapping[str, Mapping[str, Sample]],
    profile_counts: Mapping[str, int],
    *,
    alpha: float = 0.05,
    use_cuped: bool = True,
    tau_std: float = sequential.DEFAULT_TAU_STD,
) -> ExperimentReport:
    """The report of *experiment*'s current phase.

    *data* maps metric key → variant key → that variant's sample (metrics the
    experiment does not name are ignored; a missing variant counts as empty).
    *profile_counts* maps variant key → profiles allocated (or exposed) to it,
    forced QA profiles excluded, for the sample-ratio check. *tau_std* tunes
    the sequential intervals (see :mod:`experiments.sequential`).
    """
    control = experiment.control.key
    variant_keys = {variant.key for variant in experiment.variants}
    drafts: list[MetricResult] = []
    for metric in experiment.metrics:
        kind = METRICS[metric].kind
        given = data.get(metric, {})
        unknown = set(given) - variant_keys
        if unknown:
            raise ValueError(f"metric {metric!r} has data for unknown variants {sorted(unknown)}")
        samples = {key: _moments(sample, kind) for key, sample in given.items()}
        for variant in experiment.variants[1:]:
            pair = _Pair(metric, kind, control, variant.key, metric == experiment.primary_metric)
            drafts.append(
                _compare(
                    pair,
                    samples.get(control, _EMPTY),
                    samples.get(variant.key, _EMPTY),
                    alpha=alpha,
                    use_cuped=use_cuped,
                    tau_std=tau_std,
                )
            )
    # One family for the correction: every metric of every treatment in this report.
    q_values = stats.benjamini_hochberg([_nan(d.p_value) for d in drafts])
    results = tuple(
        replace(d, p_adjusted=(q := _finite(float(q_raw))), significant=q is not None and q < alpha)
        for d, q_raw in zip(drafts, q_values, strict=True)
    )
    srm = sample_ratio_mismatch(profile_counts, {v.key: v.weight for v in experiment.variants})
    return ExperimentReport(experiment.key, experiment.phase, control, alpha, results, srm)


_EMPTY = Moments(0, math.nan, math.nan)


@dataclass(frozen=True, slots=True)
class _Pair:
    metric: str
    kind: MetricKind
    control: str
    treatment: str
    primary: bool


def _compare(
    pair: _Pair,
    control: Moments,
    treatment: Moments,
    *,
    alpha: float,
    use_cuped: bool,
    tau_std: float,
) -> MetricResult:
    """The result of one comparison, before the multiple-testing correction."""
    raw = (control, treatment)
    tested: Sequence[Moments] = raw
    reduction: float | None = None
    if pair.kind is MetricKind.PROPORTION:
        test = stats.two_proportion(
            control.mean * control.n,
            control.n,
            treatment.mean * treatment.n,
            treatment.n,
            alpha=alpha,
        )
        mean_vars = [_bernoulli_var(s.mean) / s.n if s.n else math.nan for s in raw]
        pooled_sd = math.sqrt(_bernoulli_var(_pooled_mean(raw)))
    else:
        theta = cuped.pooled_theta(raw) if use_cuped else None
        if theta is not None:
            tested = cuped.adjust(raw, theta)
            reduction = _variance_reduction(raw, tested)
        c, t = tested
        test = stats.welch(c.mean, c.var, c.n, t.mean, t.var, t.n, alpha=alpha)
        mean_vars = [s.var / s.n if s.n else math.nan for s in tested]
        pooled_sd = math.sqrt((c.var + t.var) / 2)
    relative = stats.relative_lift(
        tested[0].mean, mean_vars[0], tested[1].mean, mean_vars[1], alpha=alpha
    )
    se = float(test.se)
    width = float(sequential.half_width(se, tau_std * pooled_sd, alpha=alpha))
    # The relative sequence reuses the absolute one's multiple of the standard error: under
    # the delta method the relative estimate is a rescaled copy of the absolute one.
    rel_width = width / se * float(relative.se) if se > 0 else math.nan
    diff, rel = float(test.diff), float(relative.lift)
    return MetricResult(
        metric=pair.metric,
        kind=pair.kind,
        primary=pair.primary,
        variant=pair.treatment,
        control=pair.control,
        control_n=control.n,
        treatment_n=treatment.n,
        control_mean=_finite(control.mean),
        treatment_mean=_finite(treatment.mean),
        abs_lift=_finite(diff),
        abs_ci_low=_finite(float(test.ci_low)),
        abs_ci_high=_finite(float(test.ci_high)),
        rel_lift=_finite(rel),
        rel_ci_low=_finite(float(relative.ci_low)),
        rel_ci_high=_finite(float(relative.ci_high)),
        p_value=_finite(float(test.p_value)),
        p_adjusted=None,
        significant=False,
        cuped_applied=reduction is not None,
        variance_reduction=reduction,
        sequential_ci_low=_finite(diff - width),
        sequential_ci_high=_finite(diff + width),
        sequential_rel_ci_low=_finite(rel - rel_width),
        sequential_rel_ci_high=_finite(rel + rel_width),
    )


def _moments(sample: Sample, kind: MetricKind) -> Moments:
    if isinstance(sample, Moments):
        return sample
    if kind is MetricKind.PROPORTION:
        values = np.asarray(sample.values, dtype=np.float64)
        if not np.isin(values, (0.0, 1.0)).all():
            raise ValueError("a proportion metric takes one 0/1 outcome per profile")
    return Moments.of(sample.values, sample.covariate)


def _pooled_mean(samples: Sequence[Moments]) -> float:
    n = sum(s.n for s in samples)
    return math.fsum(s.n * s.mean for s in samples if s.n) / n if n else math.nan


def _bernoulli_var(rate: float) -> float:
    return rate * (1 - rate)


def _variance_reduction(raw: Sequence[Moments], adjusted: Sequence[Moments]) -> float | None:
    before = math.fsum((s.n - 1) * s.var for s in raw if s.n > 1)
    after = math.fsum((s.n - 1) * s.var for s in adjusted if s.n > 1)
    return _finite(1 - after / before) if before > 0 else None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
