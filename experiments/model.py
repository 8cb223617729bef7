"""Experiment definitions, their validation, and the status machine.

An experiment lives in phases. Each phase has its own seed, so starting a new
phase re-randomizes every profile; within a phase the assignment of a profile
never changes except by the coverage rule in :mod:`experiments.allocation`.

Status machine (anything else raises :class:`ExperimentStateError`)::

    DRAFT --start--> RUNNING --stop--> STOPPED --new_phase--> DRAFT (phase + 1, new seed)

Definitions are frozen; every change returns a new value (``dataclasses.replace``).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final, TypeAlias

from experiments.metrics import METRICS
from experiments.targeting import TargetingRules

BUCKETS: Final = 10_000
"""Allocation resolution: hashes map into buckets 0..9999 (0.01% each)."""

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"

_KEY: Final = re.compile(r"^[a-z0-9_-]{3,64}$")
_VARIANT_KEY: Final = re.compile(r"^[a-z0-9_-]{1,64}$")
# Weights are percents given by people (33.33 + 33.33 + 33.34); allow float rounding only.
_WEIGHT_TOLERANCE: Final = 1e-6


class ExperimentError(ValueError):
    """Base of the errors this package raises about an experiment."""


class ExperimentConfigError(ExperimentError):
    """An invalid experiment definition (BAD_USER_INPUT). ``problems`` lists every issue found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("invalid experiment: " + "; ".join(self.problems))


class ExperimentStateError(ExperimentError):
    """A status transition the status machine does not allow (CONFLICT)."""


class Status(StrEnum):
    DRAFT = "DRAFT"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


@dataclass(frozen=True, slots=True)
class BucketRange:
    """The half-open range ``[start, end)`` of layer buckets an experiment owns."""

    start: int = 0
    end: int = BUCKETS

    def overlaps(self, other: BucketRange) -> bool:
        return self.start < other.end and other.start < self.end

    def __contains__(self, bucket: int) -> bool:
        return self.start <= bucket < self.end


@dataclass(frozen=True, slots=True)
class Variant:
    """One arm: ``weight`` is its percent of the experiment's traffic; ``config`` is its treatment.

    ``config`` holds JSON values the treatments read, e.g.
    ``{"row_order": ["trending", "continue_watching"], "artwork": "personalized",
    "abr": {"headroom": 0.7}}``. Treat it as read-only.
    """

    key: str
    weight: float
    config: Mapping[str, JsonValue] = field(default_factory=dict, hash=False)


def new_seed() -> str:
    """A fresh random phase seed (64 bits, hex)."""
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True, kw_only=True)
class Experiment:
    """An experiment definition at one phase.

    The first variant is the control: analysis compares every other variant with it.
    ``layer`` ``None`` means the experiment excludes no other; with a layer, it owns
    ``layer_range`` of the layer's buckets, and running experiments of one layer own
    disjoint ranges, so they never share a profile. ``allocation_percent`` is the
    coverage: the share of eligible profiles in the range that enter the experiment.
    ``forced_variants`` maps profile ids to variant keys for QA; forced profiles are
    not random and must be left out of the analysis.
    """

    key: str
    variants: tuple[Variant, ...]
    primary_metric: str
    name: str = ""
    hypothesis: str = ""
    guardrail_metrics: tuple[str, ...] = ()
    status: Status = Status.DRAFT
    phase: int = 1
    seed: str = field(default_factory=new_seed)
    allocation_percent: float = 100.0
    layer: str | None = None
    layer_range: BucketRange = BucketRange()
    targeting: TargetingRules = field(default_factory=TargetingRules)
    forced_variants: Mapping[str, str] = field(default_factory=dict, hash=False)
    started_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def control(self) -> Variant:
        return self.variants[0]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The primary metric, then the guardrails."""
        return (self.primary_metric, *self.guardrail_metrics)

    def variant(self, key: str) -> Variant:
        """The variant called *key*; ``KeyError`` if there is none."""
        for variant in self.variants:
            if variant.key == key:
                return variant
        raise KeyError(key)


def validate(experiment: Experiment, others_in_same_layer: Iterable[Experiment] = ()) -> None:
    """Raise :class:`ExperimentConfigError` listing everything wrong with *experiment*.

    *others_in_same_layer* may hold any experiments: only RUNNING ones of the same
    layer, other than *experiment* itself, are checked for overlapping ranges.
    """
    problems = [
        *_identity_problems(experiment),
        *_variant_problems(experiment),
        *_metric_problems(experiment),
        *_layer_problems(experiment, others_in_same_layer),
        *experiment.targeting.problems(),
    ]
    if problems:
        raise ExperimentConfigError(problems)


def _identity_problems(experiment: Experiment) -> list[str]:
    found: list[str] = []
    if not _KEY.match(experiment.key):
        found.append(f"key {experiment.key!r} must be 3 to 64 of a-z, 0-9, '_' or '-'")
    if experiment.phase < 1:
        found.append("phase must be at least 1")
    if not experiment.seed:
        found.append("seed must not be empty")
    allocation = experiment.allocation_percent
    if not (math.isfinite(allocation) and 0 <= allocation <= 100):
        found.append(f"allocation_percent {allocation} is outside 0-100")
    return found


def _variant_problems(experiment: Experiment) -> list[str]:
    variants = experiment.variants
    found: list[str] = []
    if len(variants) < 2:
        found.append("an experiment needs at least 2 variants")
    keys = [variant.key for variant in variants]
    found += [
        f"duplicate variant key {k!r}" for k in sorted({k for k in keys if keys.count(k) > 1})
    ]
    for variant in variants:
        if not _VARIANT_KEY.match(variant.key):
            found.append(f"variant key {variant.key!r} must be 1 to 64 of a-z, 0-9, '_' or '-'")
        if not (math.isfinite(variant.weight) and 0 < variant.weight <= 100):
            found.append(f"variant {variant.key!r} weight {variant.weight} is outside (0, 100]")
        problem = _json_problem(dict(variant.config), "config")
        if problem:
            found.append(f"variant {variant.key!r}: {problem}")
    total = math.fsum(variant.weight for variant in variants)
    if variants and abs(total - 100) > _WEIGHT_TOLERANCE:
        found.append(f"variant weights sum to {total:g}, not 100")
    found += [
        f"forced variant {key!r} for profile {profile!r} is not a variant"
        for profile, key in sorted(experiment.forced_variants.items())
        if key not in keys
    ]
    return found


def _metric_problems(experiment: Experiment) -> list[str]:
    found = [f"unknown metric {m!r}" for m in experiment.metrics if m not in METRICS]
    listed = experiment.metrics
    found += [
        f"metric {m!r} is listed twice" for m in sorted({m for m in listed if listed.count(m) > 1})
    ]
    return found


def _layer_problems(experiment: Experiment, others: Iterable[Experiment]) -> list[str]:
    bounds = experiment.layer_range
    if not 0 <= bounds.start < bounds.end <= BUCKETS:
        return [f"layer range [{bounds.start}, {bounds.end}) is not within [0, {BUCKETS})"]
    if experiment.layer is None:
        # A range without a layer would be a second, hidden coverage knob.
        return [] if bounds == BucketRange() else ["a layer range needs a layer"]
    if not _KEY.match(experiment.layer):
        return [f"layer {experiment.layer!r} must be 3 to 64 of a-z, 0-9, '_' or '-'"]
    return [
        f"layer {experiment.layer!r} range [{bounds.start}, {bounds.end}) overlaps running "
        f"experiment {other.key!r} [{other.layer_range.start}, {other.layer_range.end})"
        for other in others
        if other.layer == experiment.layer
        and other.status is Status.RUNNING
        and other.key != experiment.key
        and bounds.overlaps(other.layer_range)
    ]


def _json_problem(value: object, path: str) -> str | None:
    """Why *value* is not plain JSON (str, finite number, bool, null, list, object), or None."""
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} holds a non-finite number"
    if isinstance(value, list):
        return next(
            (p for i, item in enumerate(value) if (p := _json_problem(item, f"{path}[{i}]"))), None
        )
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                return f"{path} has a non-string key {name!r}"
            if problem := _json_problem(item, f"{path}.{name}"):
                return problem
        return None
    return f"{path} holds {type(value).__name__}, which is not JSON"


# Status machine.


def start(
    experiment: Experiment,
    others_in_same_layer: Iterable[Experiment] = (),
    *,
    at: datetime | None = None,
) -> Experiment:
    """DRAFT → RUNNING, after :func:`validate` against the layer's running experiments."""
    _require(experiment, Status.DRAFT, "start")
    validate(experiment, others_in_same_layer)
    return replace(
        experiment, status=Status.RUNNING, started_at=at or datetime.now(UTC), stopped_at=None
    )


def stop(experiment: Experiment, *, at: datetime | None = None) -> Experiment:
    """RUNNING → STOPPED. A stopped phase is final: restarting takes :func:`new_phase`."""
    _require(experiment, Status.RUNNING, "stop")
    return replace(experiment, status=Status.STOPPED, stopped_at=at or datetime.now(UTC))


def new_phase(experiment: Experiment, *, seed: str | None = None) -> Experiment:
    """STOPPED → DRAFT at the next phase with a new seed, ready to edit and :func:`start`.

    The seed must change: reusing it would put every profile back in its old
    variant, carrying the previous phase's effects into the new one.
    """
    _require(experiment, Status.STOPPED, "begin a new phase of")
    fresh = new_seed() if seed is None else seed
    if fresh == experiment.seed:
        raise ExperimentConfigError(["a new phase needs a new seed"])
    return replace(
        experiment,
        status=Status.DRAFT,
        phase=experiment.phase + 1,
        seed=fresh,
        started_at=None,
        stopped_at=None,
    )


def _require(experiment: Experiment, status: Status, verb: str) -> None:
    if experiment.status is not status:
        raise ExperimentStateError(
            f"cannot {verb} experiment {experiment.key!r}: it is {experiment.status}, not {status}"
        )


# Once a phase has started, changing who gets what would mix two experiments into one.
_FROZEN_AFTER_START: Final = ("variants", "layer", "layer_range")


def validate_update(current: Experiment, proposed: Experiment) -> None:
    """Raise :class:`ExperimentConfigError` if editing *current* into *proposed* is not allowed.

    The key never changes; status, phase and seed change only through the status
    machine; once a phase has started (RUNNING or STOPPED), variants (keys,
    weights and configs) and the layer placement are fixed until a new phase.
    Coverage, targeting, metrics, texts and forced variants may change at any
    time: raising coverage only adds profiles (see :mod:`experiments.allocation`).
    Call :func:`validate` on *proposed* as well.
    """
    found: list[str] = []
    if proposed.key != current.key:
        found.append("the key of an experiment cannot change")
    for name in ("status", "phase", "seed"):
        if getattr(proposed, name) != getattr(current, name):
            found.append(f"{name} changes only by start, stop or new phase")
    if current.status is not Status.DRAFT:
        found += [
            f"{name} cannot change once the phase has started; begin a new phase"
            for name in _FROZEN_AFTER_START
            if getattr(proposed, name) != getattr(current, name)
        ]
    if found:
        raise ExperimentConfigError(found)
