"""graphql-http's audit of the GraphQL over HTTP spec (https://graphql.github.io/graphql-over-http/),
run from Node against the live app: every audit passes, none warns."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

AUDIT_DIR = Path(__file__).resolve().parent / "audit"


def test_graphql_over_http_audit_passes_every_check(live_url: str) -> None:
    node = shutil.which("node")
    if node is None or not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        pytest.skip("graphql-http is not installed: run scripts/install (needs Node)")
    run = subprocess.run(
        [node, "audit.mjs", f"{live_url}/graphql"],
        cwd=AUDIT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert len(results) > 40  # the whole audit ran, not an early exit
    failed = [result for result in results if result["status"] != "ok"]
    assert failed == []
