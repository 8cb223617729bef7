"""Experiments and profiles for the tests."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from typing import Any

from experiments.model import Experiment, Status, Variant


def experiment(key: str = "home_rows", **changes: Any) -> Experiment:
    """A valid DRAFT 50/50 experiment on watch time; *changes* override any field."""
    base = Experiment(
        key=key,
        name="Home rows",
        hypothesis="Trending first raises watch time.",
        variants=(
            Variant("control", 50, {}),
            Variant("treatment", 50, {"row_order": ["trending", "continue_watching"]}),
        ),
        primary_metric="watch_time_minutes",
        guardrail_metrics=("rebuffer_ratio",),
        seed="seed-1",
    )
    return replace(base, **changes)


def running(key: str = "home_rows", **changes: Any) -> Experiment:
    return experiment(key, status=Status.RUNNING, **changes)


def profile_ids(count: int, seed: int = 7) -> list[str]:
    """*count* distinct random UUID strings, the same for the same seed."""
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]
