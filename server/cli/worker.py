"""``flix worker``: the outbox relay, the event consumers and the nightly jobs, until SIGINT or
SIGTERM."""

from __future__ import annotations

import asyncio
import signal

import typer
import uvloop
from prometheus_client import start_http_server

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


def worker(
    metrics_port: int = typer.Option(
        0,
        min=0,
        max=65535,
        help="Serve this worker's metrics (nightly jobs, consumers) on 127.0.0.1:PORT/metrics.",
    ),
) -> None:
    """Run the event consumers, the outbox relay and the nightly jobs at their times
    (`flix serve` starts one itself; `flix jobs list` shows the times)."""
    settings = Settings()
    configure_logging(settings.debug)
    if metrics_port:
        # Loopback only: metrics name load and errors, not for the public (server/metrics.py).
        start_http_server(metrics_port, addr="127.0.0.1")
    try:
        settings.store_config()
    except RuntimeError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from None
    try:
        # uvloop, as uvicorn runs the web workers on: the relay's publishes and the
        # consumers' acknowledgements are a socket write each, and its loop costs less.
        uvloop.run(_until_signalled(settings))
    except JobStopped as error:
        typer.secho(f"flix worker: {error}", fg="red", err=True)
        raise typer.Exit(1) from None
    except TimeoutError:
        typer.secho(f"flix worker: not stopped after {SHUTDOWN_SECONDS:.0f} s", fg="red", err=True)
        raise typer.Exit(1) from None
