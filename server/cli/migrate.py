"""``flix migrate``: bring PostgreSQL to the newest schema."""

from __future__ import annotations

import typer

from migrations.runner import upgrade
from server.settings import Settings


def require_database_url(settings: Settings) -> str:
    if settings.database_url is None:
        typer.secho(
            "FLIX_DATABASE_URL is not set (or use `flix serve`, which starts an embedded one).",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    return settings.database_url


def migrate() -> None:
    """Apply the PostgreSQL migrations (idempotent)."""
    upgrade(require_database_url(Settings()))
    typer.echo("database is at the newest revision")
