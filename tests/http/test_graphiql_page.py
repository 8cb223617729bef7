"""GraphiQL at GET /graphql for a browser, from the project's own build (no CDN), and
``FLIX_GRAPHIQL=false`` turning it off."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from server.graphiql_page import DIST
from tests.helpers.api import Api

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def built() -> None:
    if not (DIST / "index.html").is_file():
        pytest.skip("GraphiQL is not built: run scripts/install (server/graphiql/)")


@pytest.mark.usefixtures("built")
def test_the_page_and_its_assets_are_served_from_here(api: Api) -> None:
    page = api.client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/graphiql-assets/") for source in sources)
    for source in sources:
        asset = api.client.get(source, headers={"accept-encoding": "gzip"})
        assert asset.status_code == 200, source
    script = next(source for source in sources if source.endswith(".js"))
    assert api.client.get(script).headers["content-encoding"] == "gzip"


def test_a_missing_asset_is_404(api: Api) -> None:
    assert api.client.get("/graphiql-assets/assets/nothing-here.js").status_code == 404


def test_graphiql_can_be_turned_off(make_api: Callable[..., Api]) -> None:
    api = make_api(graphiql=False)
    page = api.client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert page.status_code == 404
    # Queries over GET still run.
    answer = api.client.get("/graphql", params={"query": "{ __typename }"})
    assert answer.json()["data"] == {"__typename": "Query"}
