"""``/subgraphs/<name>/graphql``: each domain's subgraph, for the federation gateway.

The same process serves the merged schema at ``/graphql`` and every subgraph beside it, with
the same request context (session, viewer, loaders), limits and error handling; so a subgraph
reached directly enforces what the gateway's path does. A subgraph's schema is built on its
first request: a process that never federates pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from schema.assembly import Limits
from schema.subgraphs import SUBGRAPHS, build_subgraph
from server.graphql_view import FlixGraphQL
from server.request_context import ContextFactory

SUBGRAPH_PATH = "/subgraphs/{name}/graphql"


def subgraph_path(name: str) -> str:
    return SUBGRAPH_PATH.format(name=name)


Wrap = Callable[[ASGIApp], ASGIApp]


class _Subgraph:
    def __init__(self, name: str, limits: Limits, contexts: ContextFactory, wrap: Wrap) -> None:
        self.name = name
        self.limits = limits
        self.contexts = contexts
        self.wrap = wrap
        self.view: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.view is None:
            graphql = FlixGraphQL(build_subgraph(self.name, self.limits), contexts=self.contexts)
            self.view = GZipMiddleware(self.wrap(graphql), minimum_size=1024)
        await self.view(scope, receive, send)


def subgraph_routes(limits: Limits, contexts: ContextFactory, wrap: Wrap) -> list[Route]:
    """One route per subgraph; ``wrap`` adds what ``/graphql`` has around its view."""
    return [
        Route(subgraph_path(name), _Subgraph(name, limits, contexts, wrap), methods=["GET", "POST"])
        for name in SUBGRAPHS
    ]
