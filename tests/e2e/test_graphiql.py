"""GraphiQL at /graphql from the project's own build (server/graphiql/): it loads, runs a
query with the browser's session cookie and shows the answer, with every request to a host
other than this machine refused, so nothing of it comes from a CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from server.graphiql_page import DIST
from tests.e2e.flows import api_register

pytestmark = pytest.mark.e2e

LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture
def offline_page(page: Page) -> Iterator[tuple[Page, list[str]]]:
    """``page`` with every non-loopback request aborted; the list collects what was refused."""
    if not (DIST / "index.html").is_file():
        pytest.skip("GraphiQL is not built: run scripts/install (server/graphiql/)")
    refused: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            refused.append(url)
            route.abort("blockedbyclient")

    page.context.route("**/*", only_loopback)
    yield page, refused


def _open_graphiql(page: Page, query: str) -> None:
    # What a developer last typed is kept in localStorage by GraphiQL: seeding it stands for
    # the typing (Monaco's auto-closing brackets make typed text unreliable to assert on).
    page.add_init_script(f"localStorage.setItem('graphiql:query', {query!r});")
    page.goto("/graphql", wait_until="load")
    expect(page.locator(".graphiql-container")).to_be_visible()
    # The editor is Monaco, loaded after the page: the query in it means it is ready.
    expect(page.locator(".graphiql-query-editor")).to_contain_text(query.split()[1])


def _result_text(page: Page) -> str:
    # Monaco renders spaces as no-break spaces.
    return page.locator(".result-window").inner_text().replace("\u00a0", " ")


def test_graphiql_runs_a_query_offline_with_the_session_cookie(
    offline_page: tuple[Page, list[str]],
) -> None:
    page, refused = offline_page
    email = api_register(page.context)  # the context's cookie is the session
    _open_graphiql(page, "{ me { email } genres }")
    page.get_by_role("button", name=re.compile(r"^Execute query")).click()
    expect(page.locator(".result-window")).to_contain_text(email)
    answer = _result_text(page)
    assert '"genres"' in answer and '"errors"' not in answer
    assert refused == []


def test_graphiql_has_the_explorer_plugin(offline_page: tuple[Page, list[str]]) -> None:
    page, refused = offline_page
    _open_graphiql(page, "{ __typename }")
    page.get_by_role("button", name="Show GraphiQL Explorer").click()
    explorer = page.locator(".graphiql-explorer-root")
    # The explorer lists the schema's root fields, read by introspection from /graphql.
    expect(explorer).to_contain_text("genres")
    expect(explorer).to_contain_text("videos")
    assert refused == []
