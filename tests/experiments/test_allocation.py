"""Allocation: deterministic, independent decisions, layers, coverage, phases, QA overrides."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from experiments.allocation import Assignment, assign, assignments, bucket, variant_for_bucket
from experiments.model import BucketRange, Experiment, Status, Variant, new_phase, start, stop
from experiments.targeting import TargetingAttributes, TargetingRules
from tests.experiments.builders import experiment, profile_ids, running

ANYONE = TargetingAttributes(
    country="US", device_type="tv", plan="STANDARD", kids=False, account_age_days=100
)


@pytest.fixture(scope="module")
def profiles() -> list[str]:
    return profile_ids(100_000)


def variants_of(exp: Experiment, profiles: list[str]) -> dict[str, str]:
    """Profile id → variant key for every profile *exp* admits."""
    found: dict[str, str] = {}
    for profile in profiles:
        assigned = assign(exp, profile, ANYONE)
        if assigned is not None:
            found[profile] = assigned.variant_key
    return found


def test_buckets_are_pinned() -> None:
    # Changing the hash scheme would silently reshuffle every running experiment.
    assert bucket("layer:home", "00000000-0000-4000-8000-000000000001") == 9506
    assert bucket("home_rows:seed-1:variant", "profile-42") == 5108


def test_assignment_is_deterministic() -> None:
    exp = running(allocation_percent=50)
    found = [assign(exp, p, ANYONE) for p in profile_ids(500)]
    assert found == [assign(replace(exp), p, ANYONE) for p in profile_ids(500)]
    members = [a for a in found if a is not None]
    assert 200 < len(members) < 300
    assert {(a.experiment_key, a.phase, a.forced) for a in members} == {("home_rows", 1, False)}


def test_variant_shares_match_the_weights_at_partial_coverage(profiles: list[str]) -> None:
    weights = {"control": 50.0, "rows": 30.0, "artwork": 20.0}
    exp = running(
        variants=tuple(Variant(key, weight) for key, weight in weights.items()),
        allocation_percent=30,
    )
    members = variants_of(exp, profiles)
    assert abs(len(members) / len(profiles) - 0.30) < 0.01
    counts = Counter(members.values())
    for key, weight in weights.items():
        assert abs(counts[key] / len(members) - weight / 100) < 0.01, (key, counts)


def test_the_variant_does_not_depend_on_the_coverage_bucket(profiles: list[str]) -> None:
    # The seed's bug: one bucket for both decisions put every member of a 30% experiment in
    # the first half of a 50/50 split. Members with low and high coverage buckets must split alike.
    exp = running(allocation_percent=100)
    members = variants_of(exp, profiles[:40_000])
    low = [v for p, v in members.items() if bucket("home_rows:seed-1:coverage", p) < 3000]
    high = [v for p, v in members.items() if bucket("home_rows:seed-1:coverage", p) >= 3000]
    for group in (low, high):
        assert abs(group.count("control") / len(group) - 0.5) < 0.02


def test_experiments_in_different_layers_are_independent(profiles: list[str]) -> None:
    home = running("home_rows", layer="home")
    player = running("abr_headroom", layer="player", seed="seed-2")
    table = np.zeros((2, 2), dtype=np.int64)
    index = {"control": 0, "treatment": 1}
    for profile in profiles:
        both = {
            a.experiment_key: a.variant_key for a in assignments([home, player], profile, ANYONE)
        }
        table[index[both["home_rows"]], index[both["abr_headroom"]]] += 1
    assert table.sum() == len(profiles)
    assert stats.chi2_contingency(table, correction=False).pvalue > 0.001


def test_experiments_in_one_layer_never_share_a_profile(profiles: list[str]) -> None:
    layer = [
        running("rows_a", layer="home", layer_range=BucketRange(0, 3000)),
        running("rows_b", layer="home", layer_range=BucketRange(3000, 6000), seed="s2"),
        running(
            "rows_c",
            layer="home",
            layer_range=BucketRange(6000, 10000),
            seed="s3",
            allocation_percent=50,
        ),
    ]
    counts: Counter[str] = Counter()
    for profile in profiles:
        found = assignments(layer, profile, ANYONE)
        assert len(found) <= 1
        counts.update(a.experiment_key for a in found)
    n = len(profiles)
    assert abs(counts["rows_a"] / n - 0.3) < 0.01
    assert abs(counts["rows_b"] / n - 0.3) < 0.01
    assert abs(counts["rows_c"] / n - 0.2) < 0.01  # 40% of the layer at 50% coverage


def test_overlapping_ranges_slipped_past_validation_still_exclude() -> None:
    layer = [running("rows_a", layer="home"), running("rows_b", layer="home", seed="s2")]
    for profile in profile_ids(2_000):
        found = assignments(layer, profile, ANYONE)
        assert [a.experiment_key for a in found] == ["rows_a"]


def test_raising_coverage_keeps_every_member_in_its_variant(profiles: list[str]) -> None:
    at_30 = variants_of(running(allocation_percent=30), profiles)
    at_60 = variants_of(running(allocation_percent=60), profiles)
    assert all(at_60.get(profile) == variant for profile, variant in at_30.items())
    assert abs(len(at_60) / len(profiles) - 0.60) < 0.01


def test_a_new_phase_re_randomizes(profiles: list[str]) -> None:
    first = start(experiment())
    second = start(new_phase(stop(first), seed="seed-2"))
    assert second.phase == 2
    before = variants_of(first, profiles[:20_000])
    after = variants_of(second, profiles[:20_000])
    changed = sum(before[p] != after[p] for p in before) / len(before)
    assert 0.48 < changed < 0.52
    assert {a.phase for a in (assign(second, p, ANYONE) for p in profiles[:100]) if a} == {2}


def test_forced_variants_win_over_everything() -> None:
    qa = "qa-profile"
    excluded = running(
        layer="home",
        layer_range=BucketRange(0, 1),
        allocation_percent=0,
        targeting=TargetingRules.of(countries=["FR"]),
        forced_variants={qa: "treatment"},
    )
    expected = Assignment("home_rows", 1, "treatment", forced=True)
    assert assign(excluded, qa, ANYONE) == expected
    # QA sees a treatment before launch, too, but nothing after the phase stopped.
    assert assign(replace(excluded, status=Status.DRAFT), qa, ANYONE) == expected
    assert assign(replace(excluded, status=Status.STOPPED), qa, ANYONE) is None
    assert assign(excluded, "someone-else", ANYONE) is None
    # Forced assignments are QA overrides: they may break layer exclusivity on purpose.
    other = running("rows_b", layer="home", seed="s2", forced_variants={qa: "control"})
    found = assignments([excluded, other], qa, ANYONE)
    assert [(a.experiment_key, a.variant_key) for a in found] == [
        ("home_rows", "treatment"),
        ("rows_b", "control"),
    ]


def test_targeting_comes_before_allocation(profiles: list[str]) -> None:
    exp = running(targeting=TargetingRules.of(countries=["US"], kids=False))
    sample = profiles[:5_000]
    assert all(assign(exp, p, ANYONE) is not None for p in sample)
    kids = replace(ANYONE, kids=True)
    elsewhere = replace(ANYONE, country="FR")
    assert all(assign(exp, p, kids) is None and assign(exp, p, elsewhere) is None for p in sample)
    assert assignments([exp], sample[0], elsewhere) == []


def test_only_a_running_experiment_allocates() -> None:
    for status in (Status.DRAFT, Status.STOPPED):
        exp = experiment(status=status)
        assert all(assign(exp, p, ANYONE) is None for p in profile_ids(500))


def test_variant_for_bucket_follows_cumulative_weights() -> None:
    exp = experiment(variants=(Variant("a", 33.33), Variant("b", 33.33), Variant("c", 33.34)))
    assert [variant_for_bucket(exp, b) for b in (0, 3332, 3333, 6665, 6666, 9999)] == [
        "a",
        "a",
        "b",
        "b",
        "c",
        "c",
    ]
