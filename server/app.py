"""The ASGI application: GraphQL at /graphql, health probes, and the stores' lifespan."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.session_revocations import following_revocations
from core.garbage_collection import tune_for_serving
from datasources.stores import check_ready, open_stores
from media import drm
from media.delivery import MediaKeys
from personalization.homepage import EmbeddingPersonalizer, breaker
from schema.assembly import Limits, build_schema
from server import compression
from server.gateway_proxy import GatewayProxy
from server.graphiql_page import graphiql_assets
from server.graphql_view import FlixGraphQL
from server.idempotency import IdempotencyKeys
from server.logging import configure_logging
from server.media_routes import media_routes
from server.metrics import metrics_endpoint
from server.middleware import BodySizeLimit, RequestContext
from server.persisted_queries import PersistedQueries
from server.request_context import ContextFactory
from server.settings import Settings
from server.subgraph_routes import subgraph_routes
from server.web import web_routes
from server.worker import running_jobs


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


def _media_keys(settings: Settings) -> tuple[MediaKeys, bytes | None]:
    if not settings.media_signing_key:
        raise RuntimeError(
            "FLIX_MEDIA_SIGNING_KEY must be set (`flix serve` makes one under the data folder)."
        )
    keys = MediaKeys(
        signing_key=settings.media_signing_key.encode(),
        base_url=settings.media_base_url.rstrip("/"),
        media_root=settings.media_folder,
        url_ttl_seconds=settings.media_url_ttl_seconds,
    )
    master = drm.parse_master_key(settings.media_master_key) if settings.media_master_key else None
    return keys, master


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    configure_logging(settings.debug)
    store_config = settings.store_config()
    media_keys, master_key = _media_keys(settings)
    limits = Limits(
        settings.max_query_depth, settings.max_aliases, settings.max_tokens, settings.max_query_cost
    )
    schema = build_schema(limits)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stores = await stack.enter_async_context(open_stores(store_config))
            await stores.events.ensure_streams()
            app.state.stores = stores
            await stack.enter_async_context(following_revocations(stores.redis, contexts.recent))
            app.state.personalizer = EmbeddingPersonalizer(stores.engine)
            app.state.contexts = contexts
            # Published media is read from the bucket when there is one (media/published.py).
            app.state.media = dataclasses.replace(media_keys, objects=stores.objects)
            app.state.media_master_key = master_key
            # The consumers and the relay run in `flix worker`, not in every web worker;
            # the in-process test app runs the same jobs here.
            if settings.inline_worker:
                await stack.enter_async_context(running_jobs(stores))
            if proxy is not None:
                stack.push_async_callback(proxy.aclose)
            tune_for_serving()  # the startup's objects made, before the first request
            yield

    contexts = ContextFactory(settings)
    graphql = FlixGraphQL(
        schema, contexts=contexts, graphql_ide="graphiql" if settings.graphiql else None
    )
    # Federated (`flix serve --federated`): /graphql is Hive Gateway's, reached through here.
    proxy = (
        GatewayProxy(settings.gateway_url, settings.operation_deadline_seconds)
        if settings.gateway_url
        else None
    )
    return Starlette(
        debug=settings.debug,
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(settings.metrics_token)),
            # Pages of rows compress ~10x (server/compression.py); media (already compressed
            # video) is left alone.
            Route(
                "/graphql",
                # Persisted queries first: everything after them sees the whole document.
                PersistedQueries(proxy, settings)
                if proxy
                else GZipMiddleware(
                    PersistedQueries(IdempotencyKeys(graphql, contexts), settings),
                    minimum_size=compression.MINIMUM_BYTES,
                    compresslevel=compression.LEVEL,
                ),
                methods=["GET", "POST"],
            ),
            # The same API cut per domain, for the federation gateway (`flix serve --federated`).
            *subgraph_routes(limits, contexts, wrap=lambda view: IdempotencyKeys(view, contexts)),
            *media_routes(),
            graphiql_assets(),  # GraphiQL's own build (server/graphiql/), no CDN
            *web_routes(),  # last: the web client answers every other GET
        ],
        middleware=[
            Middleware(RequestContext),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
