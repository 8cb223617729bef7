"""``flix events``: the event log's maintenance commands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from datasources.events import Stream
from datasources.stores import open_stores
from server.settings import Settings
from viewing.recorder import replay as replay_viewing

app = typer.Typer(help="Event log commands.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


async def _replay(settings: Settings, since: datetime | None, from_seq: int | None) -> int:
    async with open_stores(settings.store_config()) as stores:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as bar:
            task = bar.add_task("replaying VIEWING…")
            applied = await replay_viewing(
                stores.viewing, stores.engine, stores.events, since=since, from_sequence=from_seq
            )
            bar.update(task, description=f"replayed {applied} events")
        return applied


@app.command()
def replay(
    stream: Stream = typer.Option(Stream.VIEWING, help="The stream to replay."),
    since: datetime | None = typer.Option(None, help="Replay events from this time (ISO 8601)."),
    from_seq: int | None = typer.Option(None, min=1, help="Replay from this stream sequence."),
) -> None:
    """Rebuild viewing state (progress, Continue Watching) from the log; safe to repeat."""
    if stream is not Stream.VIEWING:
        console.print(f"[red]only VIEWING can be replayed into a store, not {stream.value}")
        raise typer.Exit(2)
    if since is not None and from_seq is not None:
        console.print("[red]give --since or --from-seq, not both")
        raise typer.Exit(2)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # a bare time means UTC
    applied = asyncio.run(_replay(Settings(), since, from_seq))
    console.print(f"replayed {applied} events; viewing state is up to date")
