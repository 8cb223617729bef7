"""server.web: the built client at /, history fallback, cached assets, and a clear page when
the client is not built. A bare Starlette app: no stores needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from server.web import IMMUTABLE, web_routes


def _app(dist: Path) -> TestClient:
    async def graphql(request: object) -> PlainTextResponse:
        return PlainTextResponse("api")

    routes = [Route("/graphql", graphql), *web_routes(dist)]
    return TestClient(Starlette(routes=routes))


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="app"></div>')
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("no")
    return tmp_path


def test_index_for_the_root_and_every_client_route(dist: Path) -> None:
    client = _app(dist)
    for path in ("/", "/login", "/title/12", "/watch/3?episode=4", "/search?q=toy"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'id="app"' in response.text
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
    assert client.get("/graphql").text == "api"  # earlier routes still win


def test_assets_are_cached_for_a_year(dist: Path) -> None:
    client = _app(dist)
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert "javascript" in response.headers["content-type"]
    assert client.get("/assets/missing.js").status_code == 404


def test_top_level_files_and_no_escape_from_dist(dist: Path) -> None:
    client = _app(dist)
    assert client.get("/favicon.svg").text == "<svg/>"
    assert client.get("/missing.png").status_code == 404  # not the app: a broken image is a 404
    assert client.get("/../secret.txt").status_code == 404
    assert client.get("/%2e%2e/secret.txt").status_code == 404


def test_a_missing_build_says_how_to_build_it(tmp_path: Path) -> None:
    client = _app(tmp_path / "nothing-here")
    response = client.get("/")
    assert response.status_code == 503
    assert "npm run build" in response.text
    assert client.get("/assets/index.js").status_code == 404
