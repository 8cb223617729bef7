"""Where `flix regions up` keeps its files under the data folder, and which region is which."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Priority order: HAProxy sends every request to the first healthy one.
REGIONS = ("us-east", "us-west", "eu-west")
PRIMARY_REGION = "us-east"  # where the primary database runs (until a promotion)
REPLICA_REGION = "us-west"  # where the streaming replica runs: the one that can be promoted


@dataclass(frozen=True)
class Layout:
    data_dir: Path

    @property
    def folder(self) -> Path:
        return self.data_dir / "regions"

    @property
    def replica_root(self) -> Path:
        """The replica's data folder root (its PostgreSQL data is in ``postgres/`` below)."""
        return self.folder / "replica"

    def edge_folder(self, region: str) -> Path:
        """The region's media edge (nginx): its config, logs and cache."""
        return self.folder / "edges" / region

    @property
    def haproxy_config(self) -> Path:
        return self.folder / "haproxy.cfg"

    @property
    def haproxy_socket(self) -> Path:
        return self.folder / "haproxy.sock"

    @property
    def running_file(self) -> Path:
        """Ports and pid of the running `regions up`: what `status` and `promote` read."""
        return self.folder / "running.json"

    @property
    def roles_file(self) -> Path:
        """Which data folder holds the primary; outlives the run (a promotion is for good)."""
        return self.folder / "roles.json"

    @property
    def promote_request(self) -> Path:
        return self.folder / "promote-request.json"

    @property
    def promote_result(self) -> Path:
        return self.folder / "promote-result.json"


@dataclass
class Running:
    """What a running `regions up` publishes about itself."""

    pid: int
    port: int
    regions: dict[str, int]  # region -> its BFF's port
    primary_port: int
    replica_port: int | None  # None once the replica was promoted
    promoted: bool = False
    region_database: dict[str, str] = field(default_factory=dict)  # region -> "primary"/"replica"
    edges: dict[str, str] = field(default_factory=dict)  # region -> its media edge's URL


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(partial, path)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value


def write_running(layout: Layout, running: Running) -> None:
    write_json(layout.running_file, asdict(running))


def read_running(layout: Layout) -> Running | None:
    found = read_json(layout.running_file)
    return Running(**found) if found else None


def primary_is_replica_root(layout: Layout) -> bool:
    """Whether an earlier promotion made the replica's data folder the primary's."""
    roles = read_json(layout.roles_file) or {}
    return roles.get("primary") == "replica"
