"""``flix privacy``: erasing a person (GDPR Art. 17) and checking that nothing of them is left."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from auth.sessions import account_erased
from datasources.erasure.person import Person, find_person
from datasources.stores import Stores, open_stores
from lifecycle import erasure, traces
from server.settings import Settings

app = typer.Typer(help="Erasure and its verification.", no_args_is_help=True)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def _searched(stores: Stores) -> traces.SearchedStores:
    return traces.SearchedStores(
        stores.engine, stores.redis, stores.viewing, stores.events, stores.objects
    )


def _erased_table(erased: erasure.Erased) -> Table:
    table = Table(title="erased", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in erased.details().items():
        table.add_row(name, str(count))
    return table


def _report_table(report: traces.Report, every_place: bool) -> Table:
    table = Table(title="traces by store", title_justify="left")
    for column in ("store", "place", "scanned", "traces", "note"):
        table.add_column(column, justify="right" if column in ("scanned", "traces") else "left")
    stores: dict[str, list[traces.Finding]] = {}
    for finding in report.findings:
        stores.setdefault(finding.store, []).append(finding)
    for store, findings in stores.items():
        shown = findings if every_place else [f for f in findings if f.traces]
        total = sum(f.traces for f in findings)
        style = "red" if total else "green"
        table.add_row(
            store,
            f"{len(findings)} places",
            str(sum(f.scanned for f in findings)),
            f"[{style}]{total}[/]",
            "",
        )
        for finding in shown:
            table.add_row(
                "", finding.place, str(finding.scanned), str(finding.traces), finding.note
            )
    return table


def _print(report: traces.Report, as_json: bool, every_place: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    console.print(_report_table(report, every_place))
    if report.clean:
        console.print(f"[green]no trace of {', '.join(report.identifiers)}")
    else:
        console.print(f"[red]traces left: {report.by_store()}")


async def _erase(settings: Settings, who: str, yes: bool) -> tuple[erasure.Erased, traces.Report]:
    async with open_stores(settings.store_config()) as stores:
        await stores.events.ensure_streams()
        person = await find_person(stores.engine, who)
        if person is None:
            errors.print(f"[red]no account or profile is {who!r}")
            raise typer.Exit(1)
        what = "account" if person.whole_account else "profile"
        if not yes and not typer.confirm(
            f"Erase the {what} {who} ({len(person.profile_ids)} profiles) from every store?"
        ):
            raise typer.Exit(1)
        personal = erasure.PersonalStores(
            stores.engine, stores.redis, stores.viewing, stores.events
        )
        erased = await erasure.erase(personal, person)
        await account_erased(stores.redis, person.account_id)
        return erased, await traces.find_traces(_searched(stores), person.ids(), person.email)


@app.command()
def erase(
    who: str = typer.Argument(..., help="An account's id or email, or a profile's id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print the verification as JSON."),
) -> None:
    """Erase an account with all its profiles, or one profile, from every store and archive,
    then verify that no trace is left (exit 1 if one is)."""
    erased, report = asyncio.run(_erase(Settings(), who, yes))
    if not as_json:
        console.print(_erased_table(erased))
        ids = " ".join(str(id_) for id_ in erased.person.ids())
        console.print(f"verify again with: flix privacy verify {ids}")
    _print(report, as_json, every_place=False)
    if not report.clean:
        raise typer.Exit(1)


async def _verify(settings: Settings, ids: Sequence[str], email: str | None) -> traces.Report:
    parsed: list[UUID] = []
    for id_ in ids:
        try:
            parsed.append(UUID(id_))
        except ValueError:
            errors.print(f"[red]{id_!r} is not an id (a UUID)")
            raise typer.Exit(2) from None
    async with open_stores(settings.store_config()) as stores:
        await stores.events.ensure_streams()
        # A live account or profile is searched for with everything it still has.
        people = [person for id_ in ids if (person := await find_person(stores.engine, id_))]
        wanted = _widened(parsed, people)
        email = email or next((person.email for person in people if person.email), None)
        return await traces.find_traces(_searched(stores), wanted, email)


def _widened(ids: Sequence[UUID], people: Sequence[Person]) -> list[UUID]:
    wanted = list(ids)
    for person in people:
        wanted.extend(id_ for id_ in person.ids() if id_ not in wanted)
    return wanted


@app.command()
def verify(
    ids: list[str] = typer.Argument(..., help="Account and profile ids to look for."),
    email: str | None = typer.Option(None, help="An email to look for too."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    every_place: bool = typer.Option(False, "--all", help="List every place searched."),
) -> None:
    """Search every store and archive (PostgreSQL, the viewing store, Redis, the event log,
    the S3 archives) for a person's ids and email; exit 1 if any trace is left."""
    report = asyncio.run(_verify(Settings(), ids, email))
    _print(report, as_json, every_place)
    if not report.clean:
        raise typer.Exit(1)
