"""``flix schema export``: the merged schema's SDL, committed as ``schema.graphql``.

Clients generate their types from the committed file (``player-web/src/api/generated/``), so
``--check`` (run by ``scripts/check``) fails when the code and the file disagree.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import typer

from schema.assembly import build_schema

SDL_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"
MAX_DIFF_LINES = 60

app = typer.Typer(help="The GraphQL schema's SDL.", no_args_is_help=True)


def sdl() -> str:
    """The SDL as exported: the schema's own printing, ending with one newline."""
    return build_schema().as_str().rstrip("\n") + "\n"


def drift(committed: str, current: str, name: str) -> list[str]:
    """A unified diff from the committed SDL to the code's (empty when they agree)."""
    return list(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            current.splitlines(keepends=True),
            fromfile=f"{name} (committed)",
            tofile=f"{name} (from the code)",
        )
    )


@app.command()
def export(
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if the file differs from the code."
    ),
    path: Path = typer.Option(SDL_PATH, help="Where the SDL lives."),
) -> None:
    """Write the schema's SDL to schema.graphql (or, with --check, compare it)."""
    current = sdl()
    if not check:
        path.write_text(current, encoding="utf-8")
        typer.echo(f"wrote {path}")
        return
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    diff = drift(committed, current, path.name)
    if not diff:
        return
    shown = "".join(diff[:MAX_DIFF_LINES])
    more = len(diff) - MAX_DIFF_LINES
    typer.echo(shown.rstrip("\n"), err=True)
    if more > 0:
        typer.echo(f"... and {more} more diff lines", err=True)
    state = "is out of date with the code" if path.exists() else "is missing"
    typer.secho(
        f"{path} {state}: run `flix schema export` and commit it"
        " (then `npm run codegen` in player-web).",
        fg="red",
        err=True,
    )
    raise typer.Exit(1)
