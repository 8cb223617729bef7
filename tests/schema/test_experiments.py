"""Experiments through the API: admin lifecycle, treatments per variant, exposures."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from datasources.events import Stream
from server.cli import app as cli
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.events import read_events
from tests.helpers.experiments import (
    CREATE,
    NEW_PHASE,
    PAGE,
    START,
    STOP,
    TREATMENT_ORDER,
    experiment_definition,
    staff,
)


@pytest.mark.parametrize(
    "broken",
    [
        {"variants": [{"key": "a", "weight": 60}, {"key": "b", "weight": 60}]},
        {"allocationPercent": 120},
        {"primaryMetric": "happiness"},
        {"key": "Bad Key!"},
    ],
)
def test_invalid_definitions_are_bad_input(
    make_api: Callable[..., Api], clean_database: str, broken: dict[str, Any]
) -> None:
    admin = staff(make_api, clean_database)
    assert (
        admin.error_code(CREATE, input=experiment_definition("rows", **broken)) == "BAD_USER_INPUT"
    )
    assert admin.data("{ experiments { key } }") == {"experiments": []}


def test_overlapping_layer_ranges_are_refused(
    make_api: Callable[..., Api], clean_database: str
) -> None:
    admin = staff(make_api, clean_database)
    layer = {"layer": "home", "layerStart": 0, "layerEnd": 6000}
    first = admin.data(CREATE, input=experiment_definition("first", **layer))["createExperiment"][
        "id"
    ]
    admin.data(START, id=first)
    clash = {"layer": "home", "layerStart": 5000, "layerEnd": 10000}
    assert (
        admin.error_code(CREATE, input=experiment_definition("second", **clash)) == "BAD_USER_INPUT"
    )


def test_only_experiment_staff_manage_experiments(
    make_api: Callable[..., Api], clean_database: str
) -> None:
    viewer = make_api()
    viewer.viewer_with_profile("viewer@example.com")
    assert viewer.error_code(CREATE, input=experiment_definition("rows")) == "FORBIDDEN"
    assert viewer.error_code("{ experiments { key } }") == "FORBIDDEN"
    admin = staff(make_api, clean_database, role="admin")
    assert (
        admin.data(CREATE, input=experiment_definition("rows"))["createExperiment"]["status"]
        == "DRAFT"
    )


def test_status_machine(make_api: Callable[..., Api], clean_database: str) -> None:
    admin = staff(make_api, clean_database)
    key = admin.data(CREATE, input=experiment_definition("rows"))["createExperiment"]["id"]
    assert admin.data(START, id=key)["startExperiment"] == {"status": "RUNNING", "phase": 1}
    assert admin.error_code(START, id=key) == "CONFLICT"
    admin.data(STOP, id=key)
    assert admin.error_code(START, id=key) == "CONFLICT"  # a new phase first
    assert admin.data(NEW_PHASE, id=key)["newExperimentPhase"] == {"status": "DRAFT", "phase": 2}
    assert admin.data(START, id=key)["startExperiment"] == {"status": "RUNNING", "phase": 2}


def _viewer(make_api: Callable[..., Api], email: str) -> tuple[Api, str]:
    viewer = make_api()
    return viewer, viewer.viewer_with_profile(email, maturityLevel=5)


def test_treatment_reaches_only_its_variant_and_exposure_is_logged_once(
    make_api: Callable[..., Api], clean_database: str, catalog: dict[str, int]
) -> None:
    treated, treated_profile = _viewer(make_api, "treated@example.com")
    control, control_profile = _viewer(make_api, "control@example.com")
    admin = staff(make_api, clean_database)
    forced = [
        {"profileId": treated_profile, "variant": "charts-first"},
        {"profileId": control_profile, "variant": "control"},
    ]
    definition = experiment_definition("homepage_rows", forcedVariants=forced)
    experiment = admin.data(CREATE, input=definition)["createExperiment"]["id"]
    default_order = [row["kind"] for row in control.data(PAGE)["homepage"]["rows"]]
    admin.data(START, id=experiment)
    # Each app re-reads running experiments every few seconds; don't wait for it.
    control.client.app.state.stores.experiments.invalidate()  # type: ignore[attr-defined]

    for _ in range(3):  # repeated visits: still one exposure a day
        treated_rows = [row["kind"] for row in treated.data(PAGE)["homepage"]["rows"]]
        control_rows = [row["kind"] for row in control.data(PAGE)["homepage"]["rows"]]
    assert treated_rows[:2] == TREATMENT_ORDER
    assert control_rows == default_order
    me = treated.data("{ me { assignments { experimentKey variant forced } } }")["me"]
    assert me["assignments"] == [
        {"experimentKey": "homepage_rows", "variant": "charts-first", "forced": True}
    ]
    # Each client here is its own app instance with its own streams.
    for api, profile, variant in (
        (treated, treated_profile, "charts-first"),
        (control, control_profile, "control"),
    ):
        exposures = [event.payload for event in read_events(api, Stream.EXPOSURE)]
        assert [(e["profile_id"], e["variant"]) for e in exposures] == [(profile, variant)]


def test_artwork_treatment_changes_the_poster_for_its_variant(
    make_api: Callable[..., Api], clean_database: str, catalog: dict[str, int]
) -> None:
    treated, treated_profile = _viewer(make_api, "treated@example.com")
    untreated, untreated_profile = _viewer(make_api, "untreated@example.com")
    admin = staff(make_api, clean_database, role="admin")  # edits the catalog too
    babe = str(catalog["Babe"])
    admin.data(
        'mutation($id: ID!) { updateVideo(id: $id, input: {posterUrl: "/poster.jpg",'
        ' backdropUrl: "/backdrop.jpg"}) { id } }',
        id=babe,
    )
    definition = {
        **experiment_definition("artwork"),
        "variants": [
            {"key": "default", "weight": 50, "config": {}},
            {"key": "personalized", "weight": 50, "config": {"artwork": "personalized"}},
        ],
        "forcedVariants": [
            {"profileId": treated_profile, "variant": "personalized"},
            {"profileId": untreated_profile, "variant": "default"},
        ],
    }
    experiment = admin.data(CREATE, input=definition)["createExperiment"]["id"]
    admin.data(START, id=experiment)
    query = "query($id: ID!) { video(id: $id) { posterUrl } }"
    assert treated.data(query, id=babe)["video"]["posterUrl"] == "/backdrop.jpg"
    assert untreated.data(query, id=babe)["video"]["posterUrl"] == "/poster.jpg"


def test_results_report_every_metric_and_the_sample_ratio(
    make_api: Callable[..., Api], clean_database: str
) -> None:
    admin = staff(make_api, clean_database)
    experiment = admin.data(CREATE, input=experiment_definition("rows"))["createExperiment"]["id"]
    results = admin.data(
        "query($id: ID!) { experimentResults(experimentId: $id) { experimentKey metrics { metric"
        " variant control pValue } srm { flagged counts { variant observed } } } }",
        id=experiment,
    )["experimentResults"]
    assert {m["metric"] for m in results["metrics"]} == {
        "streaming_starts_per_profile",
        "rebuffer_ratio",
    }
    assert results["srm"]["flagged"] is False


def test_report_command_prints_the_table_and_writes_the_plot(
    make_api: Callable[..., Api], clean_database: str, tmp_path: Path
) -> None:
    admin = staff(make_api, clean_database)
    experiment = admin.data(CREATE, input=experiment_definition("rows"))["createExperiment"]["id"]
    admin.data(START, id=experiment)
    rng = random.Random(7)
    rows = [
        (
            "rows",
            1,
            uuid.uuid4(),
            variant,
            rng.randint(0, 6 + (variant == "charts-first")),
            rng.random() * 3600,
            rng.random() * 600,
        )
        for variant in ("control", "charts-first")
        for _ in range(300)
    ]

    async def insert() -> None:
        connection = await asyncpg.connect(clean_database.replace("+asyncpg", "", 1))
        await connection.executemany(
            "INSERT INTO experiment_profiles (experiment_key, phase, profile_id, variant, starts,"
            " watch_seconds, pre_watch_seconds, exposed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,now())",
            rows,
        )
        await connection.close()

    blocking(insert())
    plot = tmp_path / "lifts.png"
    result = CliRunner().invoke(
        cli,
        ["experiments", "report", "rows", "--plot", str(plot)],
        env={"FLIX_DATABASE_URL": clean_database, "COLUMNS": "220"},
    )
    assert result.exit_code == 0, result.output
    assert "streaming_starts_per_profile" in result.output and "sample ratio" in result.output
    assert plot.read_bytes().startswith(b"\x89PNG")
    missing = CliRunner().invoke(
        cli, ["experiments", "report", "nope"], env={"FLIX_DATABASE_URL": clean_database}
    )
    assert missing.exit_code == 1
