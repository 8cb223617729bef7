"""Experiments: admin lifecycle, the viewer's assignments, treatments and exposures."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

from core.errors import BadUserInput, Conflict, NotFound
from core.ids import parse_int_id
from datasources import experiments as store
from datasources.events import Stream, message_id
from experiments import allocation, analysis, codec, model
from experiments.analysis import ExperimentReport, Observations
from experiments.model import Experiment, ExperimentConfigError, ExperimentStateError
from experiments.targeting import TargetingAttributes
from lifecycle.audit import AuditAction, audit
from resolvers.context import Context

log = structlog.get_logger("flix.experiments")
EXPOSURE_DEDUP_SECONDS = 2 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class StoredExperiment:
    id: int
    experiment: Experiment


def _domain_errors(error: Exception) -> Exception:
    if isinstance(error, ExperimentConfigError):
        return BadUserInput("; ".join(error.problems))
    if isinstance(error, ExperimentStateError):
        return Conflict(str(error))
    return error


async def _others(ctx: Context, key: str) -> list[Experiment]:
    return [
        codec.from_json(doc)
        for _, doc in await store.all_definitions(ctx.engine)
        if doc.get("key") != key
    ]


async def _load(ctx: Context, experiment_id: str) -> StoredExperiment:
    found = await store.definition(ctx.engine, id=parse_int_id(experiment_id, "experiment"))
    if found is None:
        raise NotFound("No such experiment.")
    return StoredExperiment(found[0], codec.from_json(found[1]))


async def list_all(ctx: Context) -> list[StoredExperiment]:
    return [
        StoredExperiment(id, codec.from_json(doc))
        for id, doc in await store.all_definitions(ctx.engine)
    ]


async def get(ctx: Context, experiment_id: str) -> StoredExperiment:
    return await _load(ctx, experiment_id)


async def create(ctx: Context, document: dict[str, Any]) -> StoredExperiment:
    try:
        experiment = codec.from_json(
            {**document, "status": "DRAFT", "phase": 1, "seed": model.new_seed()}
        )
        model.validate(experiment, await _others(ctx, experiment.key))
    except Exception as error:
        raise _domain_errors(error) from None
    new_id = await store.create(ctx.engine, codec.to_json(experiment))
    await _audit(ctx, AuditAction.EXPERIMENT_CREATED, experiment)
    return StoredExperiment(new_id, experiment)


async def update(ctx: Context, experiment_id: str, changes: dict[str, Any]) -> StoredExperiment:
    current = await _load(ctx, experiment_id)
    merged = {**codec.to_json(current.experiment), **changes}
    try:
        proposed = codec.from_json(merged)
        model.validate_update(current.experiment, proposed)
        model.validate(proposed, await _others(ctx, proposed.key))
    except Exception as error:
        raise _domain_errors(error) from None
    await store.save(ctx.engine, current.id, codec.to_json(proposed))
    ctx.experiments.invalidate()
    await _audit(ctx, AuditAction.EXPERIMENT_UPDATED, proposed)
    return StoredExperiment(current.id, proposed)


async def transition(ctx: Context, experiment_id: str, verb: str) -> StoredExperiment:
    """start, stop, or new_phase (a stopped experiment restarts only in a new phase)."""
    current = await _load(ctx, experiment_id)
    try:
        if verb == "start":
            others = await _others(ctx, current.experiment.key)
            changed = model.start(current.experiment, others)
        elif verb == "stop":
            changed = model.stop(current.experiment)
        else:
            changed = model.new_phase(current.experiment)
    except Exception as error:
        raise _domain_errors(error) from None
    await store.save(ctx.engine, current.id, codec.to_json(changed))
    ctx.experiments.invalidate()
    await _audit(ctx, _TRANSITIONS.get(verb, AuditAction.EXPERIMENT_NEW_PHASE), changed)
    return StoredExperiment(current.id, changed)


_TRANSITIONS = {"start": AuditAction.EXPERIMENT_STARTED, "stop": AuditAction.EXPERIMENT_STOPPED}


async def _audit(ctx: Context, action: AuditAction, experiment: Experiment) -> None:
    actor = ctx.viewer.require_account().id
    target = f"experiment:{experiment.key}"
    details: dict[str, str | int] = {"status": str(experiment.status), "phase": experiment.phase}
    await audit(ctx.events, action, actor_account_id=actor, target=target, details=details)


# Allocation and treatments.


def _attributes(ctx: Context) -> TargetingAttributes:
    account = ctx.viewer.require_account()
    profile = ctx.viewer.profile
    return TargetingAttributes(
        country=account.country,
        device_type=ctx.device_type,
        plan=account.plan,
        kids=profile.is_kids if profile else None,
        account_age_days=(datetime.now(UTC) - account.created_at).days,
    )


async def assignments(ctx: Context) -> list[allocation.Assignment]:
    profile = ctx.viewer.require_profile()
    running = [codec.from_json(doc) for doc in await ctx.experiments.current()]
    return allocation.assignments(running, str(profile.id), _attributes(ctx))


async def treatment(ctx: Context, key: str) -> Mapping[str, Any] | None:
    """The variant config this profile gets from experiment ``key`` and logs the exposure,
    or None when the profile is not in it (it then sees the default)."""
    profile = ctx.viewer.profile
    if profile is None:
        return None
    documents = [doc for doc in await ctx.experiments.current() if doc["key"] == key]
    if not documents:
        return None
    experiment = codec.from_json(documents[0])
    assigned = allocation.assign(experiment, str(profile.id), _attributes(ctx))
    if assigned is None:
        return None
    await _expose(ctx, assigned)
    return experiment.variant(assigned.variant_key).config


async def applied_treatment(ctx: Context, key: str) -> Mapping[str, Any] | None:
    """``treatment`` once per request, however many fields ask for it at once; the result
    is kept in ``ctx.treatments``, where the fields' resolvers read it."""
    if key in ctx.treatments:
        return ctx.treatments[key]
    lookup = ctx.treatment_lookups.get(key)
    if lookup is None:
        lookup = ctx.treatment_lookups[key] = asyncio.ensure_future(treatment(ctx, key))
    # Shielded: a field cancelled with its sibling's error leaves the others their answer.
    found = await asyncio.shield(lookup)
    ctx.treatments[key] = found
    return found


async def expose_again(ctx: Context, keys: Iterable[str]) -> None:
    """A page served from its finished body (server/homepage_bodies.py) shows what these
    experiments' treatments made of it: the profile's exposures are logged as if it had
    been rendered now (still once per profile, experiment and day)."""
    for key in keys:
        await treatment(ctx, key)


async def _expose(ctx: Context, assigned: allocation.Assignment) -> None:
    """Once per profile, experiment and day: an EXPOSURE event and the profile's row."""
    profile = ctx.viewer.require_profile()
    now = datetime.now(UTC)
    day = now.date().isoformat()
    seen = f"exposure:{day}:{assigned.experiment_key}:{assigned.phase}:{profile.id}"
    if seen in ctx.logged_exposures:
        return
    try:
        if not await ctx.redis.set(seen, 1, nx=True, ex=EXPOSURE_DEDUP_SECONDS):
            ctx.logged_exposures.add(seen)
            return
    except Exception as error:  # without Redis, the idempotent row still dedupes the rest
        log.warning("exposure dedup unavailable", error=repr(error))
    await store.record_exposure(
        ctx.engine,
        key=assigned.experiment_key,
        phase=assigned.phase,
        profile_id=profile.id,
        variant=assigned.variant_key,
        forced=assigned.forced,
        at=now,
        pre_watch_seconds=await ctx.viewing.watch_seconds(profile.id),
    )
    payload = {
        "experiment_key": assigned.experiment_key,
        "phase": assigned.phase,
        "variant": assigned.variant_key,
        "forced": assigned.forced,
        "profile_id": str(profile.id),
        "day": day,
        "at": now.isoformat(),
    }
    msg_id = message_id(assigned.experiment_key, assigned.phase, profile.id, day)
    await ctx.events.publish(Stream.EXPOSURE, assigned.experiment_key, payload, msg_id)
    ctx.logged_exposures.add(seen)


# Results.

_METRIC_VALUES: dict[str, Callable[[Any], float]] = {
    "streaming_starts_per_profile": lambda row: float(row.starts),
    "watch_time_minutes": lambda row: row.watch_seconds / 60.0,
    "completion_rate": lambda row: 1.0 if row.completions > 0 else 0.0,
    "rebuffer_ratio": lambda row: (
        row.rebuffer_seconds / row.watch_seconds if row.watch_seconds > 0 else 0.0
    ),
    "time_to_first_frame_ms": lambda row: (
        row.first_frame_ms_total / row.first_frames if row.first_frames else 0.0
    ),
}


def _observations(
    rows: Sequence[Any], experiment: Experiment
) -> dict[str, dict[str, Observations]]:
    data: dict[str, dict[str, Observations]] = {}
    for metric in experiment.metrics:
        per_variant: dict[str, Observations] = {}
        for variant in experiment.variants:
            mine = [row for row in rows if row.variant == variant.key]
            per_variant[variant.key] = Observations(
                [_METRIC_VALUES[metric](row) for row in mine],
                [row.pre_watch_seconds / 60.0 for row in mine],
            )
        data[metric] = per_variant
    return data


async def report_for(engine: Any, experiment: Experiment) -> ExperimentReport:
    # Forced (QA) profiles were not randomized: they stay out of the analysis.
    rows = [
        r
        for r in await store.profile_rows(engine, experiment.key, experiment.phase)
        if not r.forced
    ]
    counts = {v.key: sum(1 for r in rows if r.variant == v.key) for v in experiment.variants}
    return analysis.analyze(experiment, _observations(rows, experiment), counts)


async def results(ctx: Context, experiment_id: str) -> ExperimentReport:
    current = await _load(ctx, experiment_id)
    return await report_for(ctx.engine, current.experiment)
