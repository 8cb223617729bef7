"""For tests that reach past the API to the viewing store: the CLI's settings for it, and
wiping it, whichever store ``FLIX_VIEWING_STORE`` names (PostgreSQL by default)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import asyncpg

from server.settings import Settings
from tests.helpers.aio import blocking
from tests.helpers.stores import CASSANDRA_HOSTS, TEST_DATABASE

# What a `flix` command run by a test needs besides the URLs to find the Cassandra the API
# under test uses (FLIX_VIEWING_STORE itself comes from the environment).
CLI_ENV = {"FLIX_CASSANDRA_HOSTS": CASSANDRA_HOSTS, "FLIX_CASSANDRA_KEYSPACE": TEST_DATABASE}


def wipe_viewing(database_url: str) -> None:
    """Forget every profile's viewing progress and standings."""
    if Settings().viewing_store == "cassandra":
        _truncate_cassandra()
        return

    async def wipe() -> None:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
        try:
            await connection.execute("TRUNCATE viewing_progress, viewing_titles")
        finally:
            await connection.close()

    blocking(wipe())


@contextlib.contextmanager
def cassandra_session(keyspace: str | None = None) -> Iterator[Any]:
    """A blocking driver session on the tests' Cassandra, for schema-sized chores (truncating,
    dropping a keyspace: slower than a query, hence the long timeout)."""
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import RoundRobinPolicy

    from datasources.viewing.cassandra import PROTOCOL_VERSION, parse_hosts

    addresses, port = parse_hosts(CASSANDRA_HOSTS.split(","))
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=60)
    cluster = Cluster(
        addresses,
        port=port,
        protocol_version=PROTOCOL_VERSION,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
    )
    try:
        yield cluster.connect(keyspace)
    finally:
        cluster.shutdown()


def _truncate_cassandra() -> None:
    with cassandra_session(TEST_DATABASE) as session:
        for table in ("viewing_progress", "viewing_titles"):
            session.execute(f"TRUNCATE {table}")
