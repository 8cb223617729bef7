"""Experiment journeys: staff who manage experiments, and a valid definition to start from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer.testing import CliRunner

from server.cli import app as cli
from tests.helpers.api import Api

CREATE = """mutation($input: ExperimentInput!) { createExperiment(input: $input) {
  id key status phase variants { key weight config } } }"""
START = "mutation($id: ID!) { startExperiment(id: $id) { status phase } }"
STOP = "mutation($id: ID!) { stopExperiment(id: $id) { status } }"
NEW_PHASE = "mutation($id: ID!) { newExperimentPhase(id: $id) { status phase } }"
PAGE = "{ homepage(rows: 20, itemsPerRow: 5) { rows { kind } } }"
TREATMENT_ORDER = ["TOP_10", "NEW_RELEASES"]


def staff(make_api: Callable[..., Api], database: str, role: str = "experiment_admin") -> Api:
    admin = make_api()
    admin.register(f"{role}@example.com")
    result = CliRunner().invoke(
        cli, ["users", "grant", f"{role}@example.com", role], env={"FLIX_DATABASE_URL": database}
    )
    assert result.exit_code == 0, result.output
    return admin


def experiment_definition(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "key": name,
        "name": "Row order",
        "hypothesis": "Charts first lift starts",
        "primaryMetric": "streaming_starts_per_profile",
        "guardrailMetrics": ["rebuffer_ratio"],
        "variants": [
            {"key": "control", "weight": 50, "config": {}},
            {"key": "charts-first", "weight": 50, "config": {"row_order": TREATMENT_ORDER}},
        ],
        **extra,
    }
