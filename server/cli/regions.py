"""``flix regions``: three regions behind HAProxy on one machine (docs/regions.md)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console
from rich.table import Table

from server.cli.serve import load_demo
from server.embedded import DataFolderInUse, EmbeddedServerError
from server.regions.control import (
    PROMOTE_SIGNAL,
    NotRunning,
    answer,
    pending_request,
    request_promotion,
)
from server.regions.layout import Layout, read_running
from server.regions.status import regions_status
from server.regions.topology import PromotionError, Regions, RegionsOptions
from server.settings import Settings

app = typer.Typer(help="Three regions behind HAProxy, a streaming replica, promotion.")
console = Console(stderr=True, soft_wrap=True)


def _layout(data_dir: Path | None) -> Layout:
    return Layout((data_dir or Settings().data_dir).resolve())


@app.command()
def up(
    data_dir: Path | None = typer.Option(None, help="Embedded servers' data [FLIX_DATA_DIR]."),
    port: int = typer.Option(8080, help="HAProxy's port, where clients connect."),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes per region."),
    worker: bool = typer.Option(True, help="Start a `flix worker` beside the regions."),
    demo: bool = typer.Option(
        False, help="Load the demo catalog (if empty) and its media (once), as `serve --demo`."
    ),
) -> None:
    """Start the stores, the replica, the three regions with a media edge each, and HAProxy;
    Ctrl-C stops them all."""
    layout = _layout(data_dir)
    stopping = threading.Event()
    promotions = threading.Event()
    started = threading.Event()

    def on_stop(_signum: int, _frame: FrameType | None) -> None:
        if not started.is_set():
            # Still starting (--demo's first encode takes minutes): unwind what is up now.
            raise KeyboardInterrupt
        stopping.set()

    def on_promote(_signum: int, _frame: FrameType | None) -> None:
        promotions.set()
        stopping.set()  # wakes the loop below, which tells the two apart

    # SIGINT too, explicitly: a shell starting us in the background ignores it otherwise.
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(PROMOTE_SIGNAL, on_promote)
    options = RegionsOptions(port=port, workers=workers, worker=worker)
    try:
        prepare = _load_demo if demo else None
        with Regions(layout.data_dir, options, console.print, prepare) as regions:
            started.set()
            console.print("Ctrl-C stops everything; `flix regions status` shows the regions.")
            while True:
                stopping.wait()
                if not promotions.is_set():
                    break
                promotions.clear()
                stopping.clear()
                _serve_promotion(regions)
            console.print("stopping…")
    except KeyboardInterrupt:
        console.print("stopped before the regions were up")
        raise typer.Exit(130) from None
    except DataFolderInUse as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from None
    except EmbeddedServerError as error:
        console.print(f"[red]could not start the regions: {error}")
        raise typer.Exit(1) from None


def _load_demo(regions: Regions) -> None:
    """`serve --demo`'s catalog and media, on the primary, before the regions start."""
    data_dir = regions.layout.data_dir
    database_url = regions.tool_env()["FLIX_DATABASE_URL"]
    # The media master key comes from the environment (ensure_secrets put it there).
    load_demo(Settings(database_url=database_url, data_dir=data_dir), data_dir)


def _serve_promotion(regions: Regions) -> None:
    request = pending_request(regions.layout)
    if request is None:
        return
    request_id, region = request
    try:
        regions.promote(region)
    except (PromotionError, EmbeddedServerError) as error:
        console.print(f"[red]promotion failed: {error}")
        answer(regions.layout, request_id, False, str(error))
        return
    answer(regions.layout, request_id, True, f"{region} is the primary region now")


@app.command()
def status(
    data_dir: Path | None = typer.Option(None, help="The data folder `regions up` runs on."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
) -> None:
    """Each region's health as HAProxy sees it, and the replica's lag."""
    layout = _layout(data_dir)
    running = read_running(layout)
    if running is None:
        console.print(f"[red]`flix regions up` is not running on {layout.data_dir}")
        raise typer.Exit(1)
    report = regions_status(layout, running)
    if as_json:
        print(json.dumps(report, indent=2))
        return
    table = Table("region", "HAProxy", "last check", "role", "port", "catalog from", "media edge")
    for health in report["regions"]:
        role = "primary" if health["active"] else "backup"
        table.add_row(
            health["region"],
            health["status"],
            health["check"],
            role,
            str(health["port"]),
            str(health["database"]),
            str(health["edge"]),
        )
    Console().print(table)
    replica = report["replica"]
    if replica is None:
        console.print(f"no replica (promoted); primary on port {report['primary_port']}")
    elif not replica["reachable"]:
        console.print(f"[red]replica on port {replica['port']} unreachable: {replica['error']}")
    else:
        console.print(f"replica on port {replica['port']}: lag {replica['lag_seconds']} s")


@app.command()
def promote(
    region: str = typer.Argument(..., help="The region whose replica becomes the primary."),
    data_dir: Path | None = typer.Option(None, help="The data folder `regions up` runs on."),
) -> None:
    """Promote the replica in REGION when the primary region is lost; the old primary is
    fenced (stopped) and every region restarts on the new primary."""
    try:
        console.print(request_promotion(_layout(data_dir), region))
    except NotRunning as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from None
    except RuntimeError as error:
        console.print(f"[red]promotion failed: {error}")
        raise typer.Exit(1) from None
