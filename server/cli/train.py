"""``flix train``: learn profile and title embeddings from viewing, thumbs and My List."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.stores import open_viewing_store
from personalization.training import STAGES, TrainReport
from personalization.training import train as train_model
from server.cli.migrate import require_database_url
from server.settings import Settings

console = Console(stderr=True, soft_wrap=True)


async def _train(settings: Settings, database_url: str) -> TrainReport:
    engine = create_async_engine(database_url)
    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    try:
        viewing = await open_viewing_store(
            engine,
            settings.viewing_store,
            settings.cassandra_host_list,
            settings.cassandra_keyspace,
        )
        try:
            with Progress(*columns, console=console) as bar:
                tasks = {stage: bar.add_task(stage, total=1.0) for stage in STAGES}

                def progress(stage: str, fraction: float) -> None:
                    bar.update(tasks[stage], completed=fraction)

                return await train_model(engine, viewing, progress)
        finally:
            await viewing.close()
    finally:
        await engine.dispose()


def train() -> None:
    """Train embeddings and switch the served model atomically; safe while serving."""
    settings = Settings()
    try:
        report = asyncio.run(_train(settings, require_database_url(settings)))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: the model being served is unchanged")
        raise typer.Exit(130) from None
    if report.model_version is None:
        console.print("no viewing, thumbs or My List signals yet: nothing to learn from")
        return
    console.print(
        f"model {report.model_version} serving: {report.profiles} profiles, {report.titles}"
        f" titles from {report.feedback_rows} signals in {report.seconds:.1f} s"
    )
