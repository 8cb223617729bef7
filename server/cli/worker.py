"""``flix worker``: the outbox relay and the event consumers, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal

import typer

from server.logging import configure_logging
from server.settings import Settings
from server.worker import JobStopped, run_worker

# After a signal the jobs stop within their own bound; this one covers the rest: the stores
# closing, or a store that never answered while the worker was starting.
SHUTDOWN_SECONDS = 10.0


async def _until_signalled(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Both end it cleanly: Ctrl-C in a terminal, SIGTERM from `flix serve` or an orchestrator.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    worker = asyncio.create_task(run_worker(settings, stop))
    signalled = asyncio.create_task(stop.wait())
    await asyncio.wait([worker, signalled], return_when=asyncio.FIRST_COMPLETED)
    signalled.cancel()
    await asyncio.wait_for(worker, SHUTDOWN_SECONDS)


def worker() -> None:
    """Run the event consumers and the outbox relay (`flix serve` starts one itself)."""
    settings = Settings()
    configure_logging(settings.debug)
    try:
        settings.store_config()
    except RuntimeError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from None
    try:
        asyncio.run(_until_signalled(settings))
    except JobStopped as error:
        typer.secho(f"flix worker: {error}", fg="red", err=True)
        raise typer.Exit(1) from None
    except TimeoutError:
        typer.secho(f"flix worker: not stopped after {SHUTDOWN_SECONDS:.0f} s", fg="red", err=True)
        raise typer.Exit(1) from None
