"""Experiments to and from JSON: how definitions are stored and how admins send them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from experiments.model import BucketRange, Experiment, ExperimentConfigError, Status, Variant
from experiments.targeting import TargetingRules


def to_json(experiment: Experiment) -> dict[str, Any]:
    rules = experiment.targeting
    return {
        "key": experiment.key,
        "name": experiment.name,
        "hypothesis": experiment.hypothesis,
        "status": experiment.status.value,
        "phase": experiment.phase,
        "seed": experiment.seed,
        "primary_metric": experiment.primary_metric,
        "guardrail_metrics": list(experiment.guardrail_metrics),
        "allocation_percent": experiment.allocation_percent,
        "layer": experiment.layer,
        "layer_range": [experiment.layer_range.start, experiment.layer_range.end],
        "variants": [
            {"key": v.key, "weight": v.weight, "config": dict(v.config)}
            for v in experiment.variants
        ],
        "targeting": {
            "countries": sorted(rules.countries),
            "device_types": sorted(rules.device_types),
            "plans": sorted(rules.plans),
            "kids": rules.kids,
            "min_account_age_days": rules.min_account_age_days,
            "max_account_age_days": rules.max_account_age_days,
        },
        "forced_variants": dict(experiment.forced_variants),
        "started_at": experiment.started_at.isoformat() if experiment.started_at else None,
        "stopped_at": experiment.stopped_at.isoformat() if experiment.stopped_at else None,
    }


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def from_json(data: Mapping[str, Any]) -> Experiment:
    """A definition from stored or submitted JSON; malformed shapes are config errors."""
    try:
        start, end = data.get("layer_range") or (0, 10_000)
        targeting = data.get("targeting") or {}
        return Experiment(
            key=data["key"],
            name=data.get("name", ""),
            hypothesis=data.get("hypothesis", ""),
            status=Status(data.get("status", Status.DRAFT)),
            phase=int(data.get("phase", 1)),
            seed=data["seed"],
            primary_metric=data["primary_metric"],
            guardrail_metrics=tuple(data.get("guardrail_metrics", ())),
            allocation_percent=float(data.get("allocation_percent", 100.0)),
            layer=data.get("layer"),
            layer_range=BucketRange(int(start), int(end)),
            variants=tuple(
                Variant(v["key"], float(v["weight"]), dict(v.get("config") or {}))
                for v in data["variants"]
            ),
            targeting=TargetingRules.of(**targeting),
            forced_variants=dict(data.get("forced_variants") or {}),
            started_at=_when(data.get("started_at")),
            stopped_at=_when(data.get("stopped_at")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ExperimentConfigError([f"malformed experiment: {error!r}"]) from None
