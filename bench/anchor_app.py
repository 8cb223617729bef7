"""The anchor: the least a strawberry + asyncpg server does to answer ``video(id)``.

bench/catalog_latency.py runs it beside Flix, under uvicorn (one process, like Flix's one
worker), so the framework's own floor is measured in the same run: HTTP, strawberry's
parse (cached), validation (cached) and execution, one prepared asyncpg statement, JSON.
No sessions, rate limits, cost analysis, metrics or logs: the viewer's maturity is fixed
by ``FLIX_BENCH_ANCHOR_MATURITY``. What Flix spends beyond this is Flix's own.

    FLIX_BENCH_ANCHOR_DATABASE=postgresql://... uvicorn bench.anchor_app:app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import Info

VIDEO_SQL = (
    "SELECT id, title, release_year, rating, genres, description FROM videos "
    "WHERE id = $1 AND maturity_level <= $2"
)
MATURITY = int(os.environ.get("FLIX_BENCH_ANCHOR_MATURITY", "5"))


@strawberry.type
class Video:
    id: strawberry.ID
    title: str
    release_year: int | None
    rating: str | None  # the content rating (G, PG-13, …)
    genres: list[str]
    description: str | None


@strawberry.type
class Query:
    @strawberry.field
    async def video(self, info: Info, id: strawberry.ID) -> Video | None:
        pool: asyncpg.Pool = info.context["request"].app.state.pool
        row = await pool.fetchrow(VIDEO_SQL, int(id), MATURITY)
        if row is None:
            return None
        return Video(
            id=strawberry.ID(str(row["id"])),
            title=row["title"],
            release_year=row["release_year"],
            rating=row["rating"],
            genres=list(row["genres"]),
            description=row["description"],
        )


schema = strawberry.Schema(query=Query, extensions=[ParserCache, ValidationCache])


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with asyncpg.create_pool(
        os.environ["FLIX_BENCH_ANCHOR_DATABASE"], min_size=4, max_size=16
    ) as pool:
        app.state.pool = pool
        yield


graphql_app: GraphQL[object, None] = GraphQL(schema, graphql_ide=None)
app = Starlette(routes=[Route("/graphql", graphql_app, methods=["POST"])], lifespan=lifespan)
