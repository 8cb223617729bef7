"""Experiment validation and the status machine."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from experiments.model import (
    BucketRange,
    Experiment,
    ExperimentConfigError,
    ExperimentStateError,
    Status,
    Variant,
    new_phase,
    start,
    stop,
    validate,
    validate_update,
)
from experiments.targeting import TargetingRules
from tests.experiments.builders import experiment, running

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def problems_of(candidate: Experiment, others: tuple[Experiment, ...] = ()) -> tuple[str, ...]:
    with pytest.raises(ExperimentConfigError) as caught:
        validate(candidate, others)
    assert str(caught.value).startswith("invalid experiment: ")
    return caught.value.problems


def test_a_good_experiment_validates() -> None:
    validate(experiment())
    validate(experiment(layer="home", layer_range=BucketRange(0, 5000), allocation_percent=0))


def test_config_errors_are_value_errors() -> None:
    assert issubclass(ExperimentConfigError, ValueError)
    assert issubclass(ExperimentStateError, ValueError)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [((50, 40), "weights sum to 90, not 100"), ((60, 60), "weights sum to 120, not 100")],
)
def test_weights_must_sum_to_100(weights: tuple[float, float], expected: str) -> None:
    variants = (Variant("a", weights[0]), Variant("b", weights[1]))
    assert expected in " ".join(problems_of(experiment(variants=variants)))


def test_weights_may_be_rounded_percents() -> None:
    thirds = (Variant("a", 33.33), Variant("b", 33.33), Variant("c", 33.34))
    validate(experiment(variants=thirds))


@pytest.mark.parametrize("weight", [0, -10, math.nan])
def test_each_weight_must_be_positive(weight: float) -> None:
    variants = (Variant("a", 100 - (0 if math.isnan(weight) else weight)), Variant("b", weight))
    assert any(
        "weight" in p and "outside (0, 100]" in p
        for p in problems_of(experiment(variants=variants))
    )


@pytest.mark.parametrize("allocation", [-1, 100.5, math.inf, math.nan])
def test_allocation_must_be_within_0_and_100(allocation: float) -> None:
    found = problems_of(experiment(allocation_percent=allocation))
    assert any("allocation_percent" in p and "outside 0-100" in p for p in found)


@pytest.mark.parametrize(
    "changes",
    [
        {"primary_metric": "revenue"},
        {"guardrail_metrics": ("rebuffer_ratio", "clicks")},
    ],
)
def test_metrics_must_be_known(changes: dict[str, Any]) -> None:
    found = problems_of(experiment(**changes))
    assert any(p.startswith("unknown metric") for p in found)


def test_a_metric_is_listed_once() -> None:
    found = problems_of(experiment(guardrail_metrics=("watch_time_minutes",)))
    assert found == ("metric 'watch_time_minutes' is listed twice",)


def test_variant_keys_are_unique() -> None:
    found = problems_of(experiment(variants=(Variant("a", 50), Variant("a", 50))))
    assert found == ("duplicate variant key 'a'",)


@pytest.mark.parametrize("variants", [(), (Variant("only", 100),)])
def test_two_variants_at_least(variants: tuple[Variant, ...]) -> None:
    assert "an experiment needs at least 2 variants" in problems_of(experiment(variants=variants))


@pytest.mark.parametrize("key", ["ab", "Home", "home rows", "x" * 65, "", "home/rows"])
def test_bad_keys(key: str) -> None:
    assert any(p.startswith("key ") for p in problems_of(experiment(key)))


@pytest.mark.parametrize("key", ["abc", "home_rows-2", "x" * 64])
def test_good_keys(key: str) -> None:
    validate(experiment(key))


def test_variant_configs_must_be_json() -> None:
    not_json: dict[str, Any] = {"x": {1, 2}}  # a set: what a careless caller might pass
    bad = (Variant("a", 50, {"abr": {"headroom": math.inf}}), Variant("b", 50, not_json))
    found = problems_of(experiment(variants=bad))
    assert "variant 'a': config.abr.headroom holds a non-finite number" in found
    assert "variant 'b': config.x holds set, which is not JSON" in found


def test_forced_variants_name_real_variants() -> None:
    found = problems_of(experiment(forced_variants={"p1": "nope"}))
    assert found == ("forced variant 'nope' for profile 'p1' is not a variant",)


def test_targeting_rules_are_checked() -> None:
    rules = TargetingRules.of(
        countries=["us"], plans=["GOLD"], min_account_age_days=30, max_account_age_days=7
    )
    found = problems_of(experiment(targeting=rules))
    assert "unknown country code 'us'" in found
    assert "unknown plan 'GOLD'" in found
    assert "min_account_age_days is above max_account_age_days" in found


def test_every_problem_is_reported_at_once() -> None:
    bad = experiment(
        "X", allocation_percent=120, primary_metric="revenue", variants=(Variant("a", 10),)
    )
    assert len(problems_of(bad)) == 5


class TestLayers:
    def test_overlapping_a_running_experiment_of_the_layer_is_an_error(self) -> None:
        other = running("other", layer="home", layer_range=BucketRange(4000, 10000))
        mine = experiment(layer="home", layer_range=BucketRange(0, 5000))
        found = problems_of(mine, (other,))
        assert found == (
            "layer 'home' range [0, 5000) overlaps running experiment 'other' [4000, 10000)",
        )

    @pytest.mark.parametrize(
        "other",
        [
            running("other", layer="home", layer_range=BucketRange(5000, 10000)),  # adjacent
            running("other", layer="player", layer_range=BucketRange(0, 10000)),  # other layer
            experiment("other", layer="home", layer_range=BucketRange(0, 10000)),  # a draft
            replace(running("other", layer="home"), status=Status.STOPPED),
            running("home_rows", layer="home"),  # itself, as stored
        ],
    )
    def test_what_does_not_conflict(self, other: Experiment) -> None:
        validate(experiment(layer="home", layer_range=BucketRange(0, 5000)), (other,))

    @pytest.mark.parametrize(
        "bounds", [BucketRange(-1, 10), BucketRange(5, 5), BucketRange(0, 10001)]
    )
    def test_the_range_lies_within_the_buckets(self, bounds: BucketRange) -> None:
        found = problems_of(experiment(layer="home", layer_range=bounds))
        assert any("is not within [0, 10000)" in p for p in found)

    def test_a_range_needs_a_layer(self) -> None:
        found = problems_of(experiment(layer_range=BucketRange(0, 5000)))
        assert found == ("a layer range needs a layer",)

    def test_layer_names_are_like_keys(self) -> None:
        assert any("layer 'a:b'" in p for p in problems_of(experiment(layer="a:b")))


class TestStatusMachine:
    def test_draft_to_running_to_stopped(self) -> None:
        draft = experiment()
        live = start(draft, at=T0)
        assert (live.status, live.started_at, live.stopped_at) == (Status.RUNNING, T0, None)
        later = datetime(2026, 2, 1, tzinfo=UTC)
        done = stop(live, at=later)
        assert (done.status, done.started_at, done.stopped_at) == (Status.STOPPED, T0, later)
        assert draft.status is Status.DRAFT  # values are frozen, transitions return new ones

    def test_start_validates_against_the_layer(self) -> None:
        other = running("other", layer="home")
        with pytest.raises(ExperimentConfigError, match="overlaps running experiment 'other'"):
            start(experiment(layer="home"), [other])
        with pytest.raises(ExperimentConfigError, match="weights sum"):
            start(experiment(variants=(Variant("a", 1), Variant("b", 1))))

    def test_a_stopped_experiment_cannot_restart(self) -> None:
        done = stop(start(experiment()))
        with pytest.raises(ExperimentStateError, match=r"cannot start .* it is STOPPED, not DRAFT"):
            start(done)

    def test_a_new_phase_restarts_with_a_new_seed(self) -> None:
        done = stop(start(experiment(), at=T0))
        again = new_phase(done)
        assert again.status is Status.DRAFT
        assert again.phase == 2
        assert again.seed != done.seed
        assert again.started_at is None and again.stopped_at is None
        assert start(again).status is Status.RUNNING
        assert new_phase(done, seed="chosen").seed == "chosen"

    def test_a_new_phase_must_change_the_seed(self) -> None:
        done = stop(start(experiment()))
        with pytest.raises(ExperimentConfigError, match="new seed"):
            new_phase(done, seed=done.seed)

    @pytest.mark.parametrize(
        ("status", "transition"),
        [
            (Status.RUNNING, start),
            (Status.DRAFT, stop),
            (Status.STOPPED, stop),
            (Status.DRAFT, new_phase),
            (Status.RUNNING, new_phase),
        ],
    )
    def test_illegal_transitions(self, status: Status, transition: Any) -> None:
        with pytest.raises(ExperimentStateError):
            transition(experiment(status=status))


class TestUpdates:
    def test_a_draft_may_change_anything_but_identity(self) -> None:
        draft = experiment()
        validate_update(draft, replace(draft, variants=(Variant("a", 70), Variant("b", 30))))
        with pytest.raises(ExperimentConfigError, match="key of an experiment cannot change"):
            validate_update(draft, replace(draft, key="other"))

    @pytest.mark.parametrize("field", ["status", "phase", "seed"])
    def test_status_phase_and_seed_change_only_by_transitions(self, field: str) -> None:
        draft = experiment()
        values: dict[str, Any] = {"status": Status.RUNNING, "phase": 2, "seed": "other"}
        with pytest.raises(ExperimentConfigError, match=f"{field} changes only by"):
            validate_update(draft, replace(draft, **{field: values[field]}))

    @pytest.mark.parametrize(
        "changes",
        [
            {"variants": (Variant("control", 60), Variant("treatment", 40))},
            {"variants": (Variant("control", 50), Variant("treatment", 50, {"artwork": "x"}))},
            {"layer": "home"},
        ],
    )
    def test_a_started_phase_keeps_its_variants_and_layer(self, changes: dict[str, Any]) -> None:
        live = running()
        with pytest.raises(ExperimentConfigError, match="cannot change once the phase has started"):
            validate_update(live, replace(live, **changes))

    def test_a_running_phase_may_raise_coverage_and_retarget(self) -> None:
        live = running(allocation_percent=30)
        validate_update(
            live,
            replace(
                live,
                allocation_percent=60,
                targeting=TargetingRules.of(countries=["US"]),
                forced_variants={"qa": "treatment"},
                hypothesis="sharper",
            ),
        )
