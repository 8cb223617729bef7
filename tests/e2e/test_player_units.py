"""The web client's own unit tests (vitest: the ABR rule, trickplay tiles, the progress
queue), run from here so that the one test command covers them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PLAYER_WEB = Path(__file__).resolve().parents[2] / "player-web"


def test_player_web_unit_tests_pass() -> None:
    npm = shutil.which("npm")
    if npm is None or not (PLAYER_WEB / "node_modules" / ".bin" / "vitest").exists():
        pytest.skip("player-web's packages are not installed: run scripts/install")
    done = subprocess.run(
        [npm, "test", "--silent"],
        cwd=PLAYER_WEB,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
