"""The report plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.analysis import Observations, analyze
from experiments.model import Variant
from experiments.plot import plot_report
from tests.experiments.builders import running

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_writes_a_png_with_one_row_per_metric(tmp_path: Path) -> None:
    rng = np.random.default_rng(61)
    experiment = running(
        variants=(Variant("control", 50), Variant("rows", 25), Variant("artwork", 25)),
        guardrail_metrics=("rebuffer_ratio", "completion_rate", "time_to_first_frame_ms"),
    )
    keys = ("control", "rows", "artwork")
    data = {
        "watch_time_minutes": {
            k: Observations(rng.gamma(2, 30 + 3 * (k == "rows"), 3000)) for k in keys
        },
        "rebuffer_ratio": {
            k: Observations(rng.beta(1, 99 - 30 * (k == "artwork"), 3000)) for k in keys
        },
        "completion_rate": {k: Observations(rng.binomial(1, 0.4, 3000)) for k in keys},
        # time_to_first_frame_ms has no data yet: drawn as "not enough data".
    }
    report = analyze(experiment, data, {"control": 6000, "rows": 3400, "artwork": 2600})
    assert report.srm.flagged
    path = plot_report(report, tmp_path / "lift.png")
    assert path == tmp_path / "lift.png"
    content = path.read_bytes()
    assert content.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    assert width == 8 * 120 and height > 4 * 120


def test_a_report_with_no_data_yet_still_plots(tmp_path: Path) -> None:
    report = analyze(running(guardrail_metrics=()), {}, {})
    assert plot_report(report, str(tmp_path / "empty.png")).read_bytes().startswith(PNG_SIGNATURE)
