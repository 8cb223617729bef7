"""``flix catalog``: fill the catalog with MovieLens-100k and the demo series and accounts.

An import can be interrupted at any point: each batch of movies is its own transaction
and every write is an idempotent upsert, so running the command again resumes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.movielens import DatasetError, locate_dataset, read_movies
from server.demo_data import ImportReport, import_catalog, seed_demo
from server.settings import Settings

app = typer.Typer(help="Catalog commands.", no_args_is_help=True)
_console = Console()
_errors = Console(stderr=True)


@app.callback()
def _catalog() -> None:
    # A callback keeps this a command group even with a single command, so that
    # `flix catalog import-movielens` and a standalone `app()` parse the same way.
    pass


async def import_demo_catalog(
    database_url: str,
    data_dir: Path,
    path: Path | None = None,
    show_progress: bool = True,
) -> ImportReport:
    """Import MovieLens-100k (from ``path``, or downloaded into ``data_dir/cache``) and
    seed the demo series and accounts. Safe to run again: nothing changes the second time.
    """
    # Finding, downloading and parsing the files block; keep them off the event loop.
    folder = await asyncio.to_thread(locate_dataset, path, data_dir / "cache")
    movies = await asyncio.to_thread(read_movies, folder)
    engine = create_async_engine(database_url)
    try:
        with _progress_bar(len(movies), show_progress) as advance:
            report = await import_catalog(engine, movies, advance)
        await seed_demo(engine)
    finally:
        await engine.dispose()
    return report


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=_errors) as progress:
        task = progress.add_task("Importing MovieLens-100k", total=total)
        yield lambda count: progress.advance(task, count)


@app.command("import-movielens")
def import_movielens(
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            help="Folder holding ml-100k.item and ml-100k.inter (default: download once).",
            exists=True,
            file_okay=False,
            dir_okay=True,
        ),
    ] = None,
) -> None:
    """Import MovieLens-100k as movies, then add the demo series and demo accounts.

    The demo accounts (viewer@flix.test, admin@, content@, experiments@) all use the
    password flix-demo-password.
    """
    settings = Settings()
    if settings.database_url is None:
        _errors.print(
            "[red]No database configured.[/red] Set FLIX_DATABASE_URL, "
            "or use `flix serve --demo`, which starts one and imports the catalog."
        )
        raise typer.Exit(2)
    try:
        report = asyncio.run(import_demo_catalog(settings.database_url, settings.data_dir, path))
    except DatasetError as exc:
        _errors.print(f"[red]MovieLens-100k unavailable:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        _errors.print("Interrupted. Batches already written are kept; run again to resume.")
        raise typer.Exit(130) from None
    _console.print(
        f"{report.total} movies: {report.inserted} inserted, "
        f"{report.updated} updated, {report.unchanged} unchanged",
        highlight=False,
    )
