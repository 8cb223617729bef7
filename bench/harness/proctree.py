"""A server's process tree from Linux /proc: its CPU by role, dead children's included.

``tallies.process_tree_cpu_seconds`` sums the processes alive when it looks. A worker that
dies during a measurement (uvicorn kills one that misses its health check and starts another)
takes its CPU out of that sum; once its parent has reaped it, that CPU is in the parent's
``cutime``/``cstime`` instead, so counting those too keeps the total whole. The difference of
two samples also tells how many processes were started meanwhile (a worker restarting in a
loop shows here, and nowhere in a log at level warning).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WEB_WORKER = "multiprocessing.spawn"  # uvicorn's workers are spawned processes
FLIX_WORKER = "main() worker"  # server/worker_process.py's command line


@dataclass(frozen=True)
class TreeSample:
    cpu: dict[int, float]  # pid: its own user + system CPU seconds
    reaped: float  # CPU seconds of the members' children that died and were reaped
    roles: dict[int, str]


def _proc_table() -> dict[int, tuple[int, float, float]]:
    """pid: (parent pid, own CPU seconds, reaped children's CPU seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = Path(entry, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        own = (int(fields[11]) + int(fields[12])) / tick
        reaped = (int(fields[13]) + int(fields[14])) / tick
        table[int(entry.name)] = (int(fields[1]), own, reaped)
    return table


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "serve"  # `flix serve`: uvicorn's supervisor, or with one worker the worker
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "other"
    if WEB_WORKER in command:
        return "web_workers"
    return "flix_worker" if FLIX_WORKER in command else "other"


def sample(root: int) -> TreeSample:
    """The tree under ``root`` (``root`` included) as it is now."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    cpu, roles, reaped, family = {}, {}, 0.0, [root]
    while family:
        member = family.pop()
        if member not in table:
            continue
        _, own, dead = table[member]
        cpu[member], roles[member] = own, _role(member, root)
        reaped += dead
        family.extend(children.get(member, []))
    return TreeSample(cpu, reaped, roles)


async def watch(root: int, seen: set[int], interval_s: float = 2.0) -> None:
    """Until cancelled: every ``interval_s``, the pids of the tree under ``root`` into ``seen``
    (a /proc scan costs a few ms), so that processes born and dead between two samples count."""
    while True:
        seen.update(sample(root).cpu)
        await asyncio.sleep(interval_s)


def cpu_between(
    before: TreeSample, after: TreeSample, seen: set[int] | None = None
) -> dict[str, Any]:
    """CPU seconds the tree spent between two samples, in all and by role (``died``: processes
    that ended meanwhile), and how many of its processes were started and ended meanwhile (of
    those ``watch`` saw, too)."""
    total = sum(after.cpu.values()) + after.reaped - sum(before.cpu.values()) - before.reaped
    by_role: dict[str, float] = {}
    for pid, seconds in after.cpu.items():
        role = after.roles[pid]
        by_role[role] = by_role.get(role, 0.0) + seconds - before.cpu.get(pid, 0.0)
    by_role["died"] = max(0.0, total - sum(by_role.values()))  # not below 0 by a clock tick
    every = (seen or set()) | before.cpu.keys() | after.cpu.keys()
    return {
        "total_s": total,
        "by_role_s": by_role,
        "processes_started": len(every - before.cpu.keys()),
        "processes_ended": len(every - after.cpu.keys()),
    }
