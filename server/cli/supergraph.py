"""``flix supergraph``: the subgraphs composed into ``supergraph.graphql`` (Federation 2).

The composer is ``@theguild/federation-composition``, run by Node from ``server/gateway/``
(``scripts/install`` installs it). Composition fails on any error; and since the composer
gives no hints, this command adds the one that matters most: the supergraph's client-facing
schema must be the merged schema's, so clients see the same API through the gateway as from
``flix serve``. ``--check`` (run by ``scripts/check``) fails when the committed file differs.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import typer
from graphql import parse, print_ast
from graphql.language import DefinitionNode, DocumentNode, Node

from schema.subgraphs import SUBGRAPHS, subgraph_sdl
from server.cli.schema import MAX_DIFF_LINES, drift, sdl
from server.subgraph_routes import subgraph_path

ROOT = Path(__file__).resolve().parents[2]
SUPERGRAPH_PATH = ROOT / "supergraph.graphql"
GATEWAY_DIR = ROOT / "server" / "gateway"
# Where the committed supergraph routes each subgraph: `flix serve`'s default address. A
# gateway started by `flix serve --federated` points them at the running server instead.
ROUTING_URL = "http://127.0.0.1:8000"


class CompositionFailed(RuntimeError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Composition:
    supergraph: str  # what the gateway plans with
    api: str  # what its clients see


def compose(routing_url: str = ROUTING_URL) -> Composition:
    """Compose every subgraph's SDL; raises CompositionFailed with the composer's errors."""
    node = shutil.which("node")
    if node is None or not (GATEWAY_DIR / "node_modules").is_dir():
        raise CompositionFailed(
            ["Node or server/gateway/node_modules is missing: run scripts/install"]
        )
    subgraphs = [
        {"name": name, "url": routing_url + subgraph_path(name), "sdl": subgraph_sdl(name)}
        for name in SUBGRAPHS
    ]
    done = subprocess.run(
        [node, "compose.mjs"],
        input=json.dumps({"subgraphs": subgraphs}),
        cwd=GATEWAY_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CompositionFailed([f"the composer failed: {done.stderr.strip()}"])
    answer = json.loads(done.stdout)
    if answer["errors"]:
        raise CompositionFailed(answer["errors"])
    return Composition(_ending(answer["supergraph"]), _ending(answer["api"]))


def _ending(text: str) -> str:
    return text.rstrip("\n") + "\n"


def _name(node: Node) -> str:
    name = getattr(node, "name", None)
    return name.value if name else ""


def _sorted(definition: DefinitionNode) -> DefinitionNode:
    changes: dict[str, tuple[Node, ...]] = {}
    for members in ("fields", "directives"):
        found = getattr(definition, members, None)
        if found:
            changes[members] = tuple(sorted(found, key=_name))
    return dataclasses.replace(definition, **changes)  # type: ignore[arg-type]


def client_facing(sdl_text: str) -> str:
    """The SDL in one canonical order (definitions, fields, directives): what clients rely
    on, whichever order the composer or strawberry printed it in."""
    definitions = parse(sdl_text, no_location=True).definitions
    ordered = sorted((_sorted(d) for d in definitions), key=lambda d: (d.kind, _name(d)))
    return print_ast(DocumentNode(definitions=tuple(ordered))) + "\n"


def api_drift(composition: Composition) -> list[str]:
    """How the supergraph's clients would see a different API than the merged schema's."""
    return drift(client_facing(sdl()), client_facing(composition.api), "client-facing SDL")


def supergraph(
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if the file differs from the code."
    ),
    path: Path = typer.Option(SUPERGRAPH_PATH, help="Where the supergraph lives."),
) -> None:
    """Compose the subgraphs into supergraph.graphql (or, with --check, compare it)."""
    try:
        composition = compose()
    except CompositionFailed as failed:
        for error in failed.errors:
            typer.secho(error, fg="red", err=True)
        raise typer.Exit(1) from None
    different = api_drift(composition)
    if different:
        _show(different)
        typer.secho(
            "the supergraph's clients would see another API than the merged schema's",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)
    if not check:
        path.write_text(composition.supergraph, encoding="utf-8")
        typer.echo(f"wrote {path}")
        return
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    diff = drift(committed, composition.supergraph, path.name)
    if not diff:
        return
    _show(diff)
    state = "is out of date with the code" if path.exists() else "is missing"
    typer.secho(f"{path} {state}: run `flix supergraph` and commit it.", fg="red", err=True)
    raise typer.Exit(1)


def _show(diff: list[str]) -> None:
    typer.echo("".join(diff[:MAX_DIFF_LINES]).rstrip("\n"), err=True)
    if len(diff) > MAX_DIFF_LINES:
        typer.echo(f"... and {len(diff) - MAX_DIFF_LINES} more diff lines", err=True)
