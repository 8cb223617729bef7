"""The web client (player-web/dist) at ``/``: hashed assets cached for a year, every other
path answered with index.html so that client-side routes survive a reload.

Append ``web_routes(dist)`` after every other route (``/graphql``, ``/media``, ``/healthz``...):
its last route catches every remaining GET.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DEFAULT_DIST = Path(__file__).resolve().parent.parent / "player-web" / "dist"

# Vite puts a content hash in every asset's name: a changed file is a new URL.
IMMUTABLE = "public, max-age=31536000, immutable"
# index.html names the current assets, so it must be revalidated on every visit.
REVALIDATE = "no-cache"

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flix: web client not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { background: #0b0b0f; color: #ececf1; font: 16px/1.5 system-ui, sans-serif;
         display: grid; place-items: center; min-height: 100vh; margin: 0; }
  main { max-width: 34rem; padding: 2rem; }
  h1 { color: #e50914; } code { background: #1f1f28; padding: .1rem .4rem; border-radius: 4px; }
</style></head>
<body><main>
  <h1>The web client isn't built yet</h1>
  <p>The API is up: GraphiQL is at <a href="/graphql" style="color:#fff">/graphql</a>.</p>
  <p>To build the web app, run <code>scripts/install</code>, or by hand:
     <code>cd player-web &amp;&amp; npm ci &amp;&amp; npm run build</code>,
     then reload this page.</p>
</main></body></html>
"""


class _ImmutableFiles(StaticFiles):
    """StaticFiles whose hits carry a year-long, immutable cache lifetime."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def _looks_like_a_file(path: str) -> bool:
    return "." in PurePosixPath(path).name


def web_routes(dist: Path = DEFAULT_DIST) -> list[BaseRoute]:
    """Routes serving the built client in ``dist`` (``player-web/dist`` by default)."""
    dist = dist.resolve()
    index = dist / "index.html"
    assets = dist / "assets"

    async def app_shell(request: Request) -> Response:
        path = request.path_params.get("path", "")
        # Files at the top of dist (favicon.svg, robots.txt...); never outside it.
        if path and _looks_like_a_file(path):
            candidate = (dist / path).resolve()
            if candidate.parent == dist and candidate.is_file() and candidate != index:
                return FileResponse(candidate, headers={"Cache-Control": "public, max-age=3600"})
            # A missing file is a 404, not the app: a broken <img> must not receive HTML.
            return PlainTextResponse("Not found", status_code=404)
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT, status_code=503, headers={"Cache-Control": REVALIDATE})
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": REVALIDATE})

    async def missing_asset(request: Request) -> Response:
        raise HTTPException(status_code=404)

    routes: list[BaseRoute] = []
    if assets.is_dir():
        # Compressed: the player chunk (shaka) is ~600 KiB raw, a second at 5 Mbit/s.
        files = GZipMiddleware(_ImmutableFiles(directory=assets), minimum_size=1024)
        routes.append(Mount("/assets", app=files, name="web-assets"))
    else:
        routes.append(Route("/assets/{path:path}", missing_asset, methods=["GET", "HEAD"]))
    routes.append(Route("/{path:path}", app_shell, methods=["GET", "HEAD"], name="web-app"))
    return routes
