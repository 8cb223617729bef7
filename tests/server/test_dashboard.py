"""The Grafana dashboard (docs/grafana/flix-dashboard.json) queries metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import server.app  # noqa: F401  (registers every metric the API exports)

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana" / "flix-dashboard.json"
NAME = re.compile(r"\b((?:flix|streaming)_[a-z_]+?)(?:_total|_bucket|_count|_sum)?\b")


def test_every_queried_metric_is_exported() -> None:
    # Families, not samples: a labelled metric has no sample until its first label is used.
    exported = {metric.name for metric in REGISTRY.collect()}
    panels = json.loads(DASHBOARD.read_text())["panels"]
    queried = {name for p in panels for t in p["targets"] for name in NAME.findall(t["expr"])}
    assert queried and queried <= exported, queried - exported
    # The seed's QoE panels: rebuffering ratio, error rate, bitrate.
    titles = " ".join(panel["title"] for panel in panels)
    assert "Rebuffering ratio" in titles and "error rate" in titles and "Bitrate" in titles
