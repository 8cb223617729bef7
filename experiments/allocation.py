"""Allocation: which variant of which experiment a profile gets.

Three independent decisions, each a MurmurHash3 (x86, 32-bit) of
``"{salt}:{profile_id}"`` reduced to one of :data:`~experiments.model.BUCKETS`
buckets, each with its own salt:

1. **Layer** — salt ``"layer:{layer}"``. The bucket picks the one experiment of the
   layer whose ``[start, end)`` range contains it; experiments of one layer have
   disjoint ranges, so they never share a profile. The salt is the layer's name
   alone, so every experiment of a layer sees the same bucket.
2. **Coverage** — salt ``"{key}:{seed}:coverage"``. In when ``bucket < allocation% * 100``.
   The threshold only moves up when coverage rises, so everyone already in stays in.
3. **Variant** — salt ``"{key}:{seed}:variant"``. The bucket falls into one variant's
   slice of the cumulative weights.

Separate salts make the decisions statistically independent. With one shared
bucket (the seed's algorithm), coverage 30% admits buckets 0..2999, which a
50/50 split then hands all to the first variant: the variant mix depends on
coverage. Here the variant shares match the weights at any coverage, raising
coverage never moves a member to another variant (the variant hash ignores
coverage), and a new phase's seed re-randomizes both coverage and variant.
Experiments in different layers use unrelated salts, so their assignments are
independent. Reducing a 32-bit hash modulo 10,000 biases buckets by under 3 in a
million, far below anything an experiment can measure.

Order: forced variants (QA) first and over everything else, in a DRAFT or RUNNING
experiment; then status (only RUNNING allocates); then targeting; then the three
hashes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import mmh3

from experiments.model import BUCKETS, Experiment, Status
from experiments.targeting import TargetingAttributes, matches


@dataclass(frozen=True, slots=True)
class Assignment:
    """A profile's place in one experiment phase. ``forced``: set for QA, not random."""

    experiment_key: str
    phase: int
    variant_key: str
    forced: bool = False


def bucket(salt: str, profile_id: str) -> int:
    """The profile's bucket in ``0..BUCKETS-1`` for the decision named by *salt*."""
    return mmh3.hash(f"{salt}:{profile_id}", signed=False) % BUCKETS


def layer_salt(layer: str) -> str:
    return f"layer:{layer}"


def coverage_salt(experiment: Experiment) -> str:
    return f"{experiment.key}:{experiment.seed}:coverage"


def variant_salt(experiment: Experiment) -> str:
    return f"{experiment.key}:{experiment.seed}:variant"


def assign(
    experiment: Experiment, profile_id: str, attributes: TargetingAttributes
) -> Assignment | None:
    """The profile's assignment in *experiment*, or ``None`` if it is not in it."""
    forced = _forced(experiment, profile_id)
    if forced is not None:
        return forced
    layer_bucket = (
        None if experiment.layer is None else bucket(layer_salt(experiment.layer), profile_id)
    )
    return _allocate(experiment, profile_id, attributes, layer_bucket)


def assignments(
    experiments: Iterable[Experiment], profile_id: str, attributes: TargetingAttributes
) -> list[Assignment]:
    """The profile's assignments across *experiments*, at most one random one per layer.

    Validation keeps the ranges of running experiments in a layer disjoint; should
    two overlap anyway (say, a hand-edited row), the first by key wins, so layer
    exclusivity holds whatever the data. Forced assignments are QA overrides and
    are returned even if they break it. Sorted by experiment key.
    """
    found: list[Assignment] = []
    taken: set[str] = set()
    layer_buckets: dict[str, int] = {}  # one hash per layer, not per experiment
    for experiment in sorted(experiments, key=lambda e: e.key):
        forced = _forced(experiment, profile_id)
        if forced is not None:
            found.append(forced)
            continue
        layer = experiment.layer
        if layer is None:
            chosen = _allocate(experiment, profile_id, attributes, None)
        elif layer in taken:
            continue
        else:
            if layer not in layer_buckets:
                layer_buckets[layer] = bucket(layer_salt(layer), profile_id)
            chosen = _allocate(experiment, profile_id, attributes, layer_buckets[layer])
            if chosen is not None:
                taken.add(layer)
        if chosen is not None:
            found.append(chosen)
    return found


def variant_for_bucket(experiment: Experiment, variant_bucket: int) -> str:
    """The key of the variant whose slice of the cumulative weights holds *variant_bucket*."""
    # Boundaries in buckets: weights 50/30/20 give 5000, 8000, 10000.
    for variant, upper in zip(
        experiment.variants,
        itertools.accumulate(v.weight * (BUCKETS / 100) for v in experiment.variants),
        strict=True,
    ):
        if variant_bucket < upper:
            return variant.key
    # Float rounding can leave the last boundary a hair under BUCKETS.
    return experiment.variants[-1].key


def _forced(experiment: Experiment, profile_id: str) -> Assignment | None:
    if experiment.status is Status.STOPPED:
        return None
    key = experiment.forced_variants.get(profile_id)
    return None if key is None else Assignment(experiment.key, experiment.phase, key, forced=True)


def _allocate(
    experiment: Experiment,
    profile_id: str,
    attributes: TargetingAttributes,
    layer_bucket: int | None,
) -> Assignment | None:
    if experiment.status is not Status.RUNNING:
        return None
    if not matches(experiment.targeting, attributes):
        return None
    if layer_bucket is not None and layer_bucket not in experiment.layer_range:
        return None
    if bucket(coverage_salt(experiment), profile_id) >= experiment.allocation_percent * (
        BUCKETS / 100
    ):
        return None
    variant = variant_for_bucket(experiment, bucket(variant_salt(experiment), profile_id))
    return Assignment(experiment.key, experiment.phase, variant)
