"""Run the ffmpeg that ships in the imageio-ffmpeg wheel, with progress and clean cancellation.

Every media step is one ffmpeg child process. Cancelling the awaiting task (Ctrl-C under
``asyncio.run`` does that) kills the child and waits for it, so no ffmpeg outlives an
interrupted ingest and keeps writing into a folder we are about to delete.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import imageio_ffmpeg  # type: ignore[import-untyped]

ProgressCallback = Callable[[float], None]
"""Called with the seconds of output written so far."""


class FfmpegError(RuntimeError):
    """ffmpeg exited with an error; ``stderr`` holds what it said."""

    def __init__(self, message: str, returncode: int, stderr: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


def last_lines(log: str, count: int = 3) -> str:
    """The end of an ffmpeg log on one line: where it says what went wrong."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return " / ".join(lines[-count:])


@cache
def ffmpeg_exe() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


async def run_ffmpeg(
    args: Sequence[str | Path],
    *,
    on_progress: ProgressCallback | None = None,
    cwd: Path | None = None,
) -> str:
    """Run ``ffmpeg ARGS`` and return its stderr (the log: probes and filters print there)."""
    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats"]
    if on_progress is not None:
        command += ["-progress", "pipe:1"]
    command += [str(arg) for arg in args]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
    )
    assert process.stdout is not None and process.stderr is not None
    # stderr drains in its own task so a chatty log never blocks the child; progress is
    # read here, so whatever the callback raises (even KeyboardInterrupt) reaches our caller.
    stderr_task = asyncio.ensure_future(process.stderr.read())
    try:
        await _read_progress(process.stdout, on_progress)
        stderr = await stderr_task
        returncode = await process.wait()
    except BaseException:
        stderr_task.cancel()
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        # Shielded: a second Ctrl-C must not leave the child running unreaped.
        await asyncio.shield(process.wait())
        raise
    log = stderr.decode("utf-8", errors="replace")
    if returncode != 0:
        raise FfmpegError(f"ffmpeg failed: {last_lines(log)}", returncode, log)
    return log


async def _read_progress(
    stream: asyncio.StreamReader, on_progress: ProgressCallback | None
) -> None:
    async for raw in stream:
        if on_progress is None:
            continue
        key, _, value = raw.decode("ascii", errors="replace").strip().partition("=")
        if key == "out_time_us" and value.lstrip("-").isdigit():
            on_progress(max(0, int(value)) / 1_000_000)
