"""The process's memory of markers Redis holds is bounded, oldest forgotten first."""

from __future__ import annotations

from core.known_markers import KnownMarkers


def test_the_oldest_marker_is_forgotten_first_and_a_used_one_is_kept() -> None:
    known = KnownMarkers(size=2)
    known.add("exposure:2026-12-02:a:1:p")
    known.add("exposure:2026-12-02:b:1:p")
    known.add("exposure:2026-12-02:a:1:p")  # seen again: now the newest
    known.add("exposure:2026-12-02:c:1:p")
    assert "exposure:2026-12-02:a:1:p" in known
    assert "exposure:2026-12-02:b:1:p" not in known
    assert "exposure:2026-12-02:c:1:p" in known
