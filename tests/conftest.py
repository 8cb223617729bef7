"""Shared fixtures: a real PostgreSQL database, Redis and NATS, clean for every test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx2 as httpx
import pytest
import redis
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from datasources.events import Broker
from datasources.stores import StoreConfig, connect_event_log
from datasources.tables import episodes, metadata, seasons, videos
from migrations.runner import upgrade
from server.app import create_app
from server.settings import Settings

# The stores scripts/test started (server/supervisor.py), or the ones the FLIX_TEST_* name.
ADMIN_URL = os.environ.get("FLIX_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
_REDIS = urlsplit(os.environ.get("FLIX_TEST_REDIS_URL", "redis://127.0.0.1:6379"))
REDIS_SERVER = f"{_REDIS.scheme}://{_REDIS.netloc}"
NATS_URL = os.environ.get("FLIX_TEST_NATS_URL", "nats://127.0.0.1:4222")
KAFKA_BOOTSTRAP = os.environ.get("FLIX_TEST_KAFKA_BOOTSTRAP", "")
CASSANDRA_HOSTS = os.environ.get("FLIX_TEST_CASSANDRA_HOSTS", "")


def redis_database(offset: int) -> str:
    """A Redis database of this test process: parallel runs on one server keep apart."""
    return f"{REDIS_SERVER}/{1 + (os.getpid() + offset) % 15}"


REDIS_URL = redis_database(0)
TEST_DATABASE = f"flix_test_{os.getpid()}"


async def _recreate_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated database for this test run (SQLAlchemy asyncpg URL)."""
    asyncio.run(_recreate_database(TEST_DATABASE))
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    url = f"{base}/{TEST_DATABASE}"
    upgrade(url)
    yield url
    asyncio.run(_drop_database(TEST_DATABASE))


async def _truncate_all(url: str) -> None:
    connection = await asyncpg.connect(url.replace("+asyncpg", "", 1))
    try:
        names = ", ".join(table.name for table in metadata.sorted_tables)
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture
def clean_database(database_url: str) -> Iterator[str]:
    """The test database, emptied before the test."""
    asyncio.run(_truncate_all(database_url))
    yield database_url


@pytest.fixture
def clean_redis() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    yield REDIS_URL


# A small catalog: one title per maturity level, filler to page through, a mature series.

RATED = [("G", 1), ("PG", 2), ("PG-13", 3), ("R", 4), ("NC-17", 5)]
TITLES = ["Toy Story", "Babe", "Twelve Monkeys", "The Godfather", "Crash"]


async def _seed(database_url: str) -> dict[str, int]:
    engine = create_async_engine(database_url)
    ids: dict[str, int] = {}
    async with engine.begin() as connection:
        for index, (title, (rating, level)) in enumerate(zip(TITLES, RATED, strict=True)):
            ids[title] = await connection.scalar(
                insert(videos)
                .values(
                    title=title,
                    type="MOVIE",
                    rating=rating,
                    maturity_level=level,
                    genres=["Drama"] if level > 1 else ["Animation", "Drama"],
                    popularity=100 - index,
                    release_year=1995,
                )
                .returning(videos.c.id)
            )
        for n in range(30):  # enough filler to page through
            await connection.execute(
                insert(videos).values(
                    title=f"Filler {n}",
                    type="MOVIE",
                    rating="PG",
                    maturity_level=2,
                    genres=["Comedy"],
                    popularity=0,
                )
            )
        series = await connection.scalar(
            insert(videos)
            .values(
                title="Harbour Nights",
                type="SERIES",
                rating="TV-MA",
                maturity_level=5,
                genres=["Drama"],
                popularity=1000,  # first on every page, so each page loads seasons
            )
            .returning(videos.c.id)
        )
        ids["Harbour Nights"] = series
        for number in (1, 2):
            season = await connection.scalar(
                insert(seasons)
                .values(video_id=series, season_number=number, title=f"Season {number}")
                .returning(seasons.c.id)
            )
            await connection.execute(
                insert(episodes),
                [
                    {
                        "season_id": season,
                        "video_id": series,
                        "episode_number": e,
                        "title": f"S{number}E{e}",
                        "duration_minutes": 45,
                    }
                    for e in (1, 2, 3)
                ],
            )
    await engine.dispose()
    return ids


@pytest.fixture
def catalog(clean_database: str) -> dict[str, int]:
    """Title -> video id; "Harbour Nights" is a TV-MA series of 2 seasons x 3 episodes."""
    return asyncio.run(_seed(clean_database))


# The API, served in-process over its real stores.


class Api:
    """A GraphQL client for tests: ``api.gql(query)`` returns the decoded response body."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token: str | None = None

    def post(self, body: object, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.post("/graphql", json=body, headers=headers, **kwargs)

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.post({"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a request that must succeed."""
        body = self.gql(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error_code(self, query: str, **variables: Any) -> str:
        """The code of the single error a request must fail with."""
        body = self.gql(query, **variables)
        assert body.get("errors"), body
        code: str = body["errors"][0]["extensions"]["code"]
        return code

    def forget_session(self) -> None:
        """Drop the bearer token and the cookie, as a fresh browser would."""
        self.token = None
        self.client.cookies.clear()

    # Common journeys.

    def register(self, email: str, password: str = "correct horse battery", **extra: Any) -> str:
        registration = {"email": email, "password": password, "country": "US", "plan": "PREMIUM"}
        data = self.data(
            "mutation($input: RegisterInput!) { register(input: $input) { token } }",
            input={**registration, **extra},
        )
        self.token = data["register"]["token"]
        return self.token

    def create_profile(self, name: str, **extra: Any) -> str:
        data = self.data(
            "mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }",
            input={"name": name, **extra},
        )
        profile_id: str = data["createProfile"]["id"]
        return profile_id

    def select_profile(self, profile_id: str) -> None:
        self.data("mutation($id: ID!) { selectProfile(id: $id) { id } }", id=profile_id)

    def viewer_with_profile(self, email: str, **profile: Any) -> str:
        """Register, create a profile and select it; returns the profile id."""
        self.register(email)
        profile_id = self.create_profile(profile.pop("name", "Me"), **profile)
        self.select_profile(profile_id)
        return profile_id


def _settings(database_url: str, redis: str, **overrides: Any) -> Settings:
    defaults = {
        "database_url": database_url,
        "redis_url": redis,
        "nats_url": NATS_URL,
        "kafka_bootstrap": KAFKA_BOOTSTRAP,  # used when FLIX_EVENT_LOG=kafka
        # Used when FLIX_VIEWING_STORE=cassandra: one keyspace for the run, like the database.
        "cassandra_hosts": CASSANDRA_HOSTS,
        "cassandra_keyspace": TEST_DATABASE,
        # Each test gets streams of its own on the shared broker.
        "events_prefix": f"t{uuid.uuid4().hex[:10]}_",
        "media_signing_key": "test-signing-key",
        "media_master_key": "00" * 32,
        # The relay and the consumers in-process: tests read what they produce.
        "inline_worker": True,
    }
    return Settings(**{**defaults, **overrides})


async def _delete_streams(prefix: str, broker: Broker | None = None) -> None:
    """Over a connection of our own: the app's may run through a proxy that is gone. The
    broker defaults to the one FLIX_EVENT_LOG names, as the app's does."""
    database_url = ADMIN_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    config = StoreConfig(
        database_url,
        "",
        NATS_URL,
        events_prefix=prefix,
        event_log=broker or Settings().event_log,
        kafka_bootstrap=KAFKA_BOOTSTRAP,
    )
    engine = create_async_engine(database_url)  # never connects: deleting needs no outbox
    events = await connect_event_log(config, engine)
    try:
        await events.delete_streams()
    finally:
        await events.close()
        await engine.dispose()


@pytest.fixture
def make_api(clean_database: str, clean_redis: str) -> Iterator[Callable[..., Api]]:
    """Build an API client; keyword arguments override settings (limits, say)."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> Api:
        client = TestClient(create_app(_settings(clean_database, clean_redis, **overrides)))
        clients.append(client.__enter__())
        return Api(client)

    yield make
    for client in clients:
        events = client.app.state.stores.events  # type: ignore[attr-defined]
        client.__exit__(None, None, None)
        asyncio.run(_delete_streams(events.prefix, events.broker))


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


@pytest.fixture
def count_statements(api: Api) -> Iterator[Callable[[], int]]:
    engine = api.client.app.state.stores.engine.sync_engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield lambda: len(statements)
    event.remove(engine, "before_cursor_execute", record)
