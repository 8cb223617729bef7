"""The process's memory of logged exposures is bounded, oldest forgotten first."""

from __future__ import annotations

from experiments.logged_exposures import LoggedExposures


def test_the_oldest_marker_is_forgotten_first_and_a_used_one_is_kept() -> None:
    logged = LoggedExposures(size=2)
    logged.add("exposure:2026-12-02:a:1:p")
    logged.add("exposure:2026-12-02:b:1:p")
    logged.add("exposure:2026-12-02:a:1:p")  # seen again: now the newest
    logged.add("exposure:2026-12-02:c:1:p")
    assert "exposure:2026-12-02:a:1:p" in logged
    assert "exposure:2026-12-02:b:1:p" not in logged
    assert "exposure:2026-12-02:c:1:p" in logged
