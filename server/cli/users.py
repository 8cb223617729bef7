"""``flix users``: staff role management."""

from __future__ import annotations

import asyncio

import typer
from sqlalchemy.ext.asyncio import create_async_engine

from auth.roles import STAFF_ROLES
from datasources.identity import credentials_by_email, grant_role
from lifecycle.audit import AuditAction
from server.cli.audit_trail import audit_from_cli
from server.cli.migrate import require_database_url
from server.settings import Settings

app = typer.Typer(help="Manage accounts' staff roles.", no_args_is_help=True)


async def _grant(settings: Settings, email: str, role: str) -> bool:
    engine = create_async_engine(require_database_url(settings))
    try:
        if not await grant_role(engine, email, role):
            return False
        found = await credentials_by_email(engine, email)
    finally:
        await engine.dispose()
    account_id = None if found is None else found[0].id
    await audit_from_cli(
        settings, AuditAction.ROLE_GRANTED, account_id=account_id, target=f"role:{role}"
    )
    return True


@app.command()
def grant(email: str, role: str) -> None:
    """Grant ROLE (admin, content_admin or experiment_admin) to the account with EMAIL."""
    if role not in STAFF_ROLES:
        staff = ", ".join(sorted(STAFF_ROLES))
        typer.secho(f"unknown staff role {role!r}; choose one of {staff}", fg="red", err=True)
        raise typer.Exit(2)
    if not asyncio.run(_grant(Settings(), email, role)):
        typer.secho(f"no account with email {email!r}", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"granted {role} to {email}")
