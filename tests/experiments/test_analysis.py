"""The experiment report: shape, multiple testing, SRM, edge cases."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments.analysis import Observations, analyze
from experiments.metrics import METRICS, MetricKind
from experiments.model import Variant
from experiments.moments import Moments
from tests.experiments.builders import running

THREE_ARMS = running(
    variants=(Variant("control", 50), Variant("rows", 25), Variant("artwork", 25)),
    guardrail_metrics=("rebuffer_ratio", "completion_rate"),
)


def three_arm_data(rng: np.random.Generator, n: int = 4000) -> dict[str, dict[str, Observations]]:
    watch = {"control": 60.0, "rows": 66.0, "artwork": 60.0}  # rows: +10% watch time
    return {
        "watch_time_minutes": {k: Observations(rng.gamma(2, m / 2, n)) for k, m in watch.items()},
        "rebuffer_ratio": {k: Observations(rng.beta(1, 99, n)) for k in watch},
        "completion_rate": {k: Observations(rng.binomial(1, 0.4, n)) for k in watch},
    }


def test_every_metric_of_every_treatment_against_control() -> None:
    rng = np.random.default_rng(51)
    report = analyze(
        THREE_ARMS, three_arm_data(rng), {"control": 8000, "rows": 4000, "artwork": 4000}
    )
    assert (report.experiment_key, report.phase, report.control, report.alpha) == (
        "home_rows",
        1,
        "control",
        0.05,
    )
    assert [(r.metric, r.variant) for r in report.metrics] == [
        ("watch_time_minutes", "rows"),
        ("watch_time_minutes", "artwork"),
        ("rebuffer_ratio", "rows"),
        ("rebuffer_ratio", "artwork"),
        ("completion_rate", "rows"),
        ("completion_rate", "artwork"),
    ]
    lifted = report.result("watch_time_minutes", "rows")
    assert lifted.primary and lifted.kind is MetricKind.MEAN and lifted.significant
    assert lifted.rel_lift == pytest.approx(0.10, abs=0.03)
    assert lifted.treatment_mean is not None and lifted.control_mean is not None
    assert lifted.abs_lift == pytest.approx(lifted.treatment_mean - lifted.control_mean)
    assert not lifted.cuped_applied  # no covariate given
    assert not report.result("watch_time_minutes", "artwork").significant
    rate = report.result("completion_rate", "rows")
    assert rate.kind is MetricKind.PROPORTION and not rate.primary
    assert not report.srm.flagged
    with pytest.raises(KeyError):
        report.result("watch_time_minutes", "nope")


def test_p_values_are_adjusted_across_the_whole_report() -> None:
    rng = np.random.default_rng(52)
    report = analyze(
        THREE_ARMS, three_arm_data(rng), {"control": 8000, "rows": 4000, "artwork": 4000}
    )
    raw = np.array([r.p_value for r in report.metrics], dtype=np.float64)
    adjusted = scipy_stats.false_discovery_control(raw, method="bh")
    ours = np.array([r.p_adjusted for r in report.metrics], dtype=np.float64)
    np.testing.assert_allclose(ours, adjusted, rtol=1e-12)
    assert all(r.significant == (q < 0.05) for r, q in zip(report.metrics, adjusted, strict=True))


def test_results_match_the_tests_they_come_from() -> None:
    rng = np.random.default_rng(53)
    data = three_arm_data(rng, 1500)
    report = analyze(THREE_ARMS, data, {"control": 3000, "rows": 1500, "artwork": 1500})
    watch = data["watch_time_minutes"]
    rows, control = (np.asarray(watch[k].values, dtype=np.float64) for k in ("rows", "control"))
    welch = scipy_stats.ttest_ind(rows, control, equal_var=False)
    assert report.result("watch_time_minutes", "rows").p_value == pytest.approx(
        welch.pvalue, rel=1e-9
    )
    completion = data["completion_rate"]
    table = [
        [int(np.sum(completion[k].values)), 1500 - int(np.sum(completion[k].values))]
        for k in ("control", "rows")
    ]
    pearson = scipy_stats.chi2_contingency(table, correction=False)
    assert report.result("completion_rate", "rows").p_value == pytest.approx(
        pearson.pvalue, rel=1e-9
    )


def test_a_planted_sample_ratio_mismatch_is_in_the_report() -> None:
    rng = np.random.default_rng(54)
    data = {
        "watch_time_minutes": {
            k: Observations(rng.gamma(2, 30, 10_000)) for k in ("control", "treatment")
        }
    }
    report = analyze(running(guardrail_metrics=()), data, {"control": 10_400, "treatment": 9_600})
    assert report.srm.flagged and report.srm.p_value < 0.001


def test_moments_and_observations_give_the_same_report() -> None:
    rng = np.random.default_rng(55)
    pre = rng.gamma(2, 20, (2, 800))
    post = 0.5 * pre + rng.gamma(2, 10, (2, 800))
    observed = {
        "watch_time_minutes": {
            k: Observations(post[i], pre[i]) for i, k in enumerate(("control", "treatment"))
        }
    }
    summed = {
        "watch_time_minutes": {
            k: Moments.from_sums(
                800,
                post[i].sum(),
                (post[i] ** 2).sum(),
                pre[i].sum(),
                (pre[i] ** 2).sum(),
                (pre[i] * post[i]).sum(),
            )
            for i, k in enumerate(("control", "treatment"))
        }
    }
    experiment = running(guardrail_metrics=())
    counts = {"control": 800, "treatment": 800}
    first = analyze(experiment, observed, counts).result("watch_time_minutes")
    second = analyze(experiment, summed, counts).result("watch_time_minutes")
    assert first.cuped_applied and second.cuped_applied
    assert second.p_value == pytest.approx(first.p_value, rel=1e-6)
    assert second.abs_ci_low == pytest.approx(first.abs_ci_low, rel=1e-6)


def test_missing_or_degenerate_data_gives_none_not_errors() -> None:
    experiment = running(guardrail_metrics=("completion_rate", "rebuffer_ratio"))
    data = {
        "watch_time_minutes": {"control": Observations([1.0, 2.0, 3.0])},  # no treatment data yet
        "rebuffer_ratio": {
            "control": Observations([0.0, 0.0]),
            "treatment": Observations([0.0, 0.0]),
        },
    }
    report = analyze(experiment, data, {})
    watch = report.result("watch_time_minutes")
    assert watch.treatment_n == 0 and watch.control_mean == pytest.approx(2.0)
    assert (watch.treatment_mean, watch.abs_lift, watch.p_value, watch.p_adjusted) == (
        None,
        None,
        None,
        None,
    )
    assert not watch.significant
    flat = report.result("rebuffer_ratio")
    assert flat.abs_lift == 0.0 and flat.p_value is None and flat.rel_lift is None
    assert report.result("completion_rate").control_n == 0
    assert not report.srm.flagged


def test_bad_input_is_refused() -> None:
    experiment = running(guardrail_metrics=("completion_rate",))
    with pytest.raises(ValueError, match="unknown variants"):
        analyze(experiment, {"watch_time_minutes": {"other": Observations([1.0])}}, {})
    with pytest.raises(ValueError, match="one 0/1 outcome per profile"):
        analyze(experiment, {"completion_rate": {"control": Observations([0.5, 1.0])}}, {})


def test_every_registered_metric_has_a_kind() -> None:
    assert set(METRICS) == {
        "streaming_starts_per_profile",
        "watch_time_minutes",
        "completion_rate",
        "rebuffer_ratio",
        "time_to_first_frame_ms",
    }
    assert METRICS["completion_rate"].kind is MetricKind.PROPORTION
    assert not METRICS["rebuffer_ratio"].higher_is_better


def test_a_report_converts_to_json() -> None:
    # What the CLI and the GraphQL layer need: plain values all the way down.
    rng = np.random.default_rng(56)
    report = analyze(THREE_ARMS, three_arm_data(rng, 500), {"control": 1000, "rows": 500})
    document = json.loads(json.dumps(dataclasses.asdict(report), allow_nan=False))
    assert document["srm"]["observed"] == {"control": 1000, "rows": 500, "artwork": 0}
    assert document["metrics"][0]["kind"] == "mean"
