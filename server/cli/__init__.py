"""The ``flix`` command line: one module per command."""

from __future__ import annotations

import typer

from server.cli import (
    archive,
    backup,
    catalog,
    events,
    experiments,
    ingest,
    jobs,
    migrate,
    persisted,
    privacy,
    regions,
    schema,
    serve,
    supergraph,
    train,
    users,
    worker,
)

app = typer.Typer(help="Flix: the streaming platform's backend.", no_args_is_help=True)
app.command()(serve.serve)
app.command()(supergraph.supergraph)
app.command()(worker.worker)
app.command()(migrate.migrate)
app.command()(train.train)
app.command()(ingest.ingest)
app.command()(backup.restore)
app.add_typer(users.app, name="users")
app.add_typer(catalog.app, name="catalog")
app.add_typer(events.app, name="events")
app.add_typer(experiments.app, name="experiments")
app.add_typer(schema.app, name="schema")
app.add_typer(persisted.app, name="persisted")
app.add_typer(backup.app, name="backup")
app.add_typer(privacy.app, name="privacy")
app.add_typer(archive.app, name="archive")
app.add_typer(jobs.app, name="jobs")
app.add_typer(regions.app, name="regions")


def main() -> None:
    app()
