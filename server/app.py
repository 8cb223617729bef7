"""The ASGI application: GraphQL at /graphql, health probes, and the stores' lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from datasources import trending
from datasources.events import Event, Stream
from datasources.stores import Stores, check_ready, open_stores
from experiments import consumer
from resolvers.homepage import PopularityPersonalizer, breaker
from schema.assembly import Limits, build_schema
from server.graphql_view import FlixGraphQL
from server.logging import configure_logging
from server.middleware import BodySizeLimit, RequestContext
from server.settings import Settings


async def healthz(request: Request) -> Response:
    """Alive, plus the circuit breakers' states (an open one means a degraded feature)."""
    return JSONResponse({"status": "ok", "breakers": {breaker.name: breaker.current_state}})


async def readyz(request: Request) -> Response:
    stores = await check_ready(request.app.state.stores)
    ready = all(stores.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "stores": stores},
        status_code=200 if ready else 503,
    )


async def index(request: Request) -> Response:
    return RedirectResponse("/graphql")


def _background_work(stores: Stores) -> list[Coroutine[Any, Any, None]]:
    """The app's consumers and relays; each runs for the app's lifetime."""

    async def count_view(event: Event) -> None:
        await trending.count_viewing_event(stores.redis, event.payload)

    async def playback_metrics(event: Event) -> None:
        await consumer.on_playback_event(stores.engine, event.payload)

    async def viewing_metrics(event: Event) -> None:
        await consumer.on_viewing_event(stores.engine, event.payload)

    consume = stores.events.consume
    return [
        stores.events.run_relay(),
        consume(Stream.VIEWING, "trending", count_view),
        consume(Stream.PLAYBACK, "experiment-metrics", playback_metrics),
        consume(Stream.VIEWING, "experiment-metrics", viewing_metrics),
    ]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    configure_logging(settings.debug)
    store_config = settings.store_config()
    schema = build_schema(
        Limits(settings.max_query_depth, settings.max_aliases, settings.max_tokens)
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_stores(store_config) as stores:
            await stores.events.ensure_streams()
            app.state.stores = stores
            app.state.personalizer = PopularityPersonalizer()

            background = [asyncio.create_task(task) for task in _background_work(stores)]
            try:
                yield
            finally:
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)

    graphql = FlixGraphQL(schema, settings=settings)
    return Starlette(
        debug=settings.debug,
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        middleware=[
            Middleware(RequestContext),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
