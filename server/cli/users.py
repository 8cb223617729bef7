"""``flix users``: staff role management."""

from __future__ import annotations

import asyncio

import typer
from sqlalchemy.ext.asyncio import create_async_engine

from auth.roles import STAFF_ROLES
from datasources.identity import grant_role
from server.cli.migrate import require_database_url
from server.settings import Settings

app = typer.Typer(help="Manage accounts' staff roles.", no_args_is_help=True)


async def _grant(database_url: str, email: str, role: str) -> bool:
    engine = create_async_engine(database_url)
    try:
        return await grant_role(engine, email, role)
    finally:
        await engine.dispose()


@app.command()
def grant(email: str, role: str) -> None:
    """Grant ROLE (admin, content_admin or experiment_admin) to the account with EMAIL."""
    if role not in STAFF_ROLES:
        staff = ", ".join(sorted(STAFF_ROLES))
        typer.secho(f"unknown staff role {role!r}; choose one of {staff}", fg="red", err=True)
        raise typer.Exit(2)
    if not asyncio.run(_grant(require_database_url(Settings()), email, role)):
        typer.secho(f"no account with email {email!r}", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"granted {role} to {email}")
