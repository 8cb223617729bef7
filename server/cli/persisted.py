"""``flix persisted register``: put documents on the persisted-query allowlist
(``FLIX_PERSISTED_QUERIES=allowlist`` runs only these; docs/persisted_queries.md).

A client's hash is of the exact text it sends, so what is registered must be that text:

- ``.graphql`` / ``.gql`` files: the file's text, and its standard printing (what Apollo
  Client sends for a document it parsed from that text);
- ``.json`` manifests, each document as written: graphql-codegen's
  ``persisted-documents.json`` (``{hash: document}``, as player-web generates it) or Apollo's
  ``persisted-query-manifest.json`` (``{"operations": [{"id", "body"}, ...]}``).

Directories are searched for all three. A manifest hash that is not its document's SHA-256,
or a document that does not parse, stops the command before anything is registered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import typer
from graphql import GraphQLError, parse, print_ast
from redis.asyncio import Redis

from auth.persisted_queries import PersistedQueryStore, document_hash
from server.settings import Settings

app = typer.Typer(help="The persisted-query allowlist.", no_args_is_help=True)

DOCUMENT_SUFFIXES = (".graphql", ".gql")


class BadDocument(ValueError):
    pass


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for found in sorted(path.rglob("*")):
            if found.suffix in (*DOCUMENT_SUFFIXES, ".json") and found.is_file():
                yield found
    elif path.is_file():
        yield path
    else:
        raise BadDocument(f"{path}: no such file or directory")


def _manifest(path: Path) -> Iterator[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BadDocument(f"{path}: not JSON ({error})") from None
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        pairs = [
            (op.get("id"), op.get("body")) for op in data["operations"] if isinstance(op, dict)
        ]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise BadDocument(f"{path}: neither {{hash: document}} nor Apollo's operations manifest")
    for sha256, document in pairs:
        if not isinstance(document, str) or document_hash(document) != sha256:
            raise BadDocument(f"{path}: {sha256!r} is not the SHA-256 of its document")
        yield document


def documents(paths: list[Path]) -> list[str]:
    """Every document to register, checked, without repeats."""
    found: dict[str, None] = {}
    for path in paths:
        for file in _files(path):
            if file.suffix == ".json":
                texts = list(_manifest(file))
            else:
                text = file.read_text(encoding="utf-8")
                try:
                    texts = [text, print_ast(parse(text, no_location=True))]
                except GraphQLError as error:
                    raise BadDocument(f"{file}: {error.message}") from None
            found.update(dict.fromkeys(texts))
    return list(found)


async def _allow(redis_url: str, texts: list[str]) -> list[str]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        return await PersistedQueryStore(redis).allow(texts)
    finally:
        await redis.aclose()


@app.command()
def register(
    paths: list[Path] = typer.Argument(..., help="Files or directories of documents."),
    redis_url: str | None = typer.Option(None, help="Default: FLIX_REDIS_URL."),
) -> None:
    """Register documents (files, directories, manifests) on the allowlist; print each hash."""
    url = redis_url or Settings().redis_url
    if not url:
        typer.secho("FLIX_REDIS_URL is not set (or pass --redis-url)", fg="red", err=True)
        raise typer.Exit(2)
    try:
        texts = documents(paths)
    except BadDocument as error:
        typer.secho(f"nothing registered: {error}", fg="red", err=True)
        raise typer.Exit(1) from None
    for sha256 in asyncio.run(_allow(url, texts)):
        typer.echo(sha256)
    typer.echo(f"registered {len(texts)} document(s)", err=True)
