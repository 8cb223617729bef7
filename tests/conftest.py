"""Shared fixtures: a real PostgreSQL database, Redis and NATS, clean for every test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import asyncpg
import pytest
import redis

from datasources.migrations import upgrade
from datasources.tables import metadata

ADMIN_URL = os.environ.get("FLIX_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("FLIX_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NATS_URL = os.environ.get("FLIX_TEST_NATS_URL", "nats://127.0.0.1:4222")
TEST_DATABASE = "flix_test"


async def _recreate_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_url() -> str:
    """A fresh, migrated database for this test run (SQLAlchemy asyncpg URL)."""
    asyncio.run(_recreate_database(TEST_DATABASE))
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    url = f"{base}/{TEST_DATABASE}"
    upgrade(url)
    return url


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
