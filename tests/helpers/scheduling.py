"""How scripts/test spreads the suite over pytest-xdist workers: whole files, and whole folders
where the files share a costly setup, so each setup is made once.

xdist's own ``--dist loadgroup`` would say the same with marks, but it renames the items' node
ids to carry them, which pytest 9 no longer lets a plugin do; the scope is told here instead.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

# Folders whose files share a package- or session-scoped setup: one `flix serve` with its
# ingested media (tests/e2e), one gateway (tests/federation).
SHARED_SETUP = ("tests/e2e/", "tests/federation/")


class SharedSetupScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    def _split_scope(self, nodeid: str) -> str:
        folder = next((folder for folder in SHARED_SETUP if nodeid.startswith(folder)), None)
        return folder or nodeid.split("::", 1)[0]
