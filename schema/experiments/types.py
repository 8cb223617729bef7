"""Experiment types: definitions, assignments, results, and experiments' part of Account."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from auth.roles import Role
from core import records
from experiments import allocation
from experiments.analysis import ExperimentReport, MetricResult
from resolvers import experiments, identity
from resolvers.experiments import StoredExperiment
from schema.context import Info
from schema.directives import AuthExtension
from schema.federation import entity

EXPERIMENTERS = [Role.EXPERIMENT_ADMIN, Role.ADMIN]  # who may read and run experiments


@strawberry.type
class Variant:
    key: str
    weight: float
    config: JSON


@strawberry.type
class Targeting:
    countries: list[str]
    device_types: list[str]
    plans: list[str]
    kids: bool | None
    min_account_age_days: int | None
    max_account_age_days: int | None


@entity(key="id")
@strawberry.type
class Experiment:
    id: strawberry.ID
    key: str
    name: str
    hypothesis: str
    status: str
    phase: int
    primary_metric: str
    guardrail_metrics: list[str]
    allocation_percent: float
    layer: str | None
    layer_start: int
    layer_end: int
    variants: list[Variant]
    targeting: Targeting
    started_at: datetime | None
    stopped_at: datetime | None

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Experiment:
        """Like ``experiment(id)``: for experimenters only (``_entities`` is an entry point)."""
        AuthExtension(EXPERIMENTERS).check(info)
        return cls.of(await experiments.get(info.context, id))

    @classmethod
    def of(cls, stored: StoredExperiment) -> Experiment:
        e = stored.experiment
        rules = e.targeting
        return cls(
            id=strawberry.ID(str(stored.id)),
            key=e.key,
            name=e.name,
            hypothesis=e.hypothesis,
            status=e.status.value,
            phase=e.phase,
            primary_metric=e.primary_metric,
            guardrail_metrics=list(e.guardrail_metrics),
            allocation_percent=e.allocation_percent,
            layer=e.layer,
            layer_start=e.layer_range.start,
            layer_end=e.layer_range.end,
            variants=[
                Variant(key=v.key, weight=v.weight, config=JSON(dict(v.config))) for v in e.variants
            ],
            targeting=Targeting(
                countries=sorted(rules.countries),
                device_types=sorted(rules.device_types),
                plans=sorted(rules.plans),
                kids=rules.kids,
                min_account_age_days=rules.min_account_age_days,
                max_account_age_days=rules.max_account_age_days,
            ),
            started_at=e.started_at,
            stopped_at=e.stopped_at,
        )


@strawberry.type
class Assignment:
    experiment_key: str
    phase: int
    variant: str
    forced: bool

    @strawberry.field(description="Stable cache key: `profile:experimentKey`.")
    def id(self, info: Info) -> strawberry.ID:
        profile = info.context.viewer.require_profile()
        return strawberry.ID(f"{profile.id}:{self.experiment_key}")

    @classmethod
    def of(cls, assigned: allocation.Assignment) -> Assignment:
        return cls(
            experiment_key=assigned.experiment_key,
            phase=assigned.phase,
            variant=assigned.variant_key,
            forced=assigned.forced,
        )


@strawberry.type
class AccountExperiments:
    """Experiments' part of Account."""

    record: strawberry.Private[records.Account]

    @strawberry.field(description="The experiment variants the active profile is in.")
    async def assignments(self, info: Info) -> list[Assignment]:
        if identity.active_profile(info.context, self.record) is None:
            return []
        return [Assignment.of(a) for a in await experiments.assignments(info.context)]


@strawberry.type
class MetricLift:
    metric: str
    kind: str
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
    variance_reduction: float | None
    sequential_ci_low: float | None
    sequential_ci_high: float | None

    @classmethod
    def of(cls, result: MetricResult) -> MetricLift:
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {k: v for k, v in dataclasses.asdict(result).items() if k in names}
        values["kind"] = str(values["kind"])
        return cls(**values)


@strawberry.type
class VariantCount:
    variant: str
    observed: int
    expected: float


@strawberry.type
class SampleRatio:
    chi2: float | None
    p_value: float | None
    flagged: bool
    counts: list[VariantCount]


@strawberry.type
class ExperimentResults:
    experiment_key: str
    phase: int
    alpha: float
    metrics: list[MetricLift]
    srm: SampleRatio

    @strawberry.field(description="Stable cache key: `experimentKey:phase`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(f"{self.experiment_key}:{self.phase}")

    @classmethod
    def of(cls, report: ExperimentReport) -> ExperimentResults:
        srm = report.srm
        return cls(
            experiment_key=report.experiment_key,
            phase=report.phase,
            alpha=report.alpha,
            metrics=[MetricLift.of(result) for result in report.metrics],
            srm=SampleRatio(
                chi2=srm.chi2,
                p_value=srm.p_value,
                flagged=srm.flagged,
                counts=[
                    VariantCount(variant=v, observed=srm.observed[v], expected=srm.expected[v])
                    for v in srm.observed
                ],
            ),
        )


@strawberry.input
class VariantInput:
    key: str
    weight: float
    config: JSON | None = None


@strawberry.input
class TargetingInput:
    countries: list[str] | None = None
    device_types: list[str] | None = None
    plans: list[str] | None = None
    kids: bool | None = None
    min_account_age_days: int | None = None
    max_account_age_days: int | None = None


@strawberry.input
class ForcedVariantInput:
    profile_id: strawberry.ID
    variant: str


@strawberry.input
class ExperimentInput:
    key: str | None = None
    name: str | None = None
    hypothesis: str | None = None
    primary_metric: str | None = None
    guardrail_metrics: list[str] | None = None
    allocation_percent: float | None = None
    layer: str | None = None
    layer_start: int | None = None
    layer_end: int | None = None
    variants: list[VariantInput] | None = None
    targeting: TargetingInput | None = None
    forced_variants: list[ForcedVariantInput] | None = None

    def document(self) -> dict[str, Any]:
        """The fields given, in the stored document's shape (absent ones left out)."""
        doc: dict[str, Any] = {
            name: getattr(self, name)
            for name in (
                "key",
                "name",
                "hypothesis",
                "primary_metric",
                "allocation_percent",
                "layer",
            )
            if getattr(self, name) is not None
        }
        if self.guardrail_metrics is not None:
            doc["guardrail_metrics"] = list(self.guardrail_metrics)
        if self.layer_start is not None or self.layer_end is not None:
            doc["layer_range"] = [
                self.layer_start or 0,
                10_000 if self.layer_end is None else self.layer_end,
            ]
        if self.variants is not None:
            doc["variants"] = [
                {"key": v.key, "weight": v.weight, "config": v.config or {}} for v in self.variants
            ]
        if self.targeting is not None:
            doc["targeting"] = {
                k: v for k, v in dataclasses.asdict(self.targeting).items() if v is not None
            }
        if self.forced_variants is not None:
            doc["forced_variants"] = {str(f.profile_id): f.variant for f in self.forced_variants}
        return doc
