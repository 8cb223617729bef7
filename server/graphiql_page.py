"""GraphiQL from the project's own build: the page GET /graphql answers a browser with, and
its assets at /graphiql-assets/. ``scripts/install`` builds server/graphiql/ (GraphiQL, its
explorer plugin, React, from npm) into server/graphiql/dist/; nothing loads from a CDN, so
the IDE works offline and on a network that blocks third-party hosts."""

from __future__ import annotations

from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

DIST = Path(__file__).resolve().parent / "graphiql" / "dist"
ASSETS_PATH = "/graphiql-assets"


def graphiql_page() -> Response:
    # Read per request: a rebuild (new hashed asset names) shows without a restart, and the
    # page is a few hundred bytes.
    try:
        html = (DIST / "index.html").read_text(encoding="utf-8")
    except FileNotFoundError:
        message = "GraphiQL is not built: run scripts/install (it builds server/graphiql/).\n"
        return PlainTextResponse(message, status_code=503)
    # The page names hashed assets: it must be fetched afresh, they can be cached for good.
    return HTMLResponse(html, headers={"cache-control": "no-cache"})


def graphiql_assets() -> Mount:
    # Monaco, GraphiQL's editor, is a few MB of JavaScript that compresses ~4x.
    files = StaticFiles(directory=DIST / "assets", check_dir=False)
    return Mount(f"{ASSETS_PATH}/assets", app=GZipMiddleware(files, minimum_size=1024))
