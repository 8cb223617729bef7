"""Asking the running `regions up` to promote: a request file, SIGUSR1 to its pid, and a
result file it writes back. The promotion runs in that process because it owns the servers
(its watchdog would otherwise start the fenced primary again)."""

from __future__ import annotations

import os
import signal
import time
import uuid

from server.regions.layout import Layout, read_json, read_running, write_json

PROMOTE_SIGNAL = signal.SIGUSR1
PROMOTE_TIMEOUT_S = 180.0  # the BFFs' restart dominates


class NotRunning(RuntimeError):
    """No `regions up` runs on this data folder."""


def request_promotion(layout: Layout, region: str, timeout: float = PROMOTE_TIMEOUT_S) -> str:
    """Ask for region's promotion and wait for the outcome: a message, or RuntimeError."""
    running = read_running(layout)
    if running is None:
        raise NotRunning(f"`flix regions up` is not running on {layout.data_dir}")
    request_id = uuid.uuid4().hex
    layout.promote_result.unlink(missing_ok=True)
    write_json(layout.promote_request, {"id": request_id, "region": region})
    try:
        os.kill(running.pid, PROMOTE_SIGNAL)
    except ProcessLookupError:
        raise NotRunning(f"`flix regions up` (pid {running.pid}) is gone") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = read_json(layout.promote_result)
        if result and result.get("id") == request_id:
            if not result.get("ok"):
                raise RuntimeError(str(result.get("message")))
            return str(result.get("message"))
        time.sleep(0.2)
    raise RuntimeError(f"no answer from `flix regions up` in {timeout:.0f} s")


def pending_request(layout: Layout) -> tuple[str, str] | None:
    """The (id, region) asked for, read once by the running `regions up`."""
    found = read_json(layout.promote_request)
    layout.promote_request.unlink(missing_ok=True)
    if not found:
        return None
    return str(found["id"]), str(found["region"])


def answer(layout: Layout, request_id: str, ok: bool, message: str) -> None:
    write_json(layout.promote_result, {"id": request_id, "ok": ok, "message": message})
