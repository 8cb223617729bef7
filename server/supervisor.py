"""Run a command (the test suite) with every store it needs, started here when not given.

``python -m server.supervisor CMD...`` starts PostgreSQL, Redis, NATS with JetStream and S3
(rclone) from the wheels ``flix serve`` uses, plus Apache Cassandra and Apache Kafka from
Maven Central jars where a JDK and Maven are present, all on free loopback ports under one
ignored data folder (reused by the next run), exports their addresses as ``FLIX_TEST_*``,
runs CMD and stops them all on the way out: on success, on failure, on Ctrl-C and on
SIGTERM. A store whose ``FLIX_TEST_*`` variable is already set is used as it is and nothing
is started for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import asyncpg
import redis

from server import embedded
from server.jvm import maven
from server.processes import HOST, EmbeddedServerError, exchange
from server.s3_server import (
    TEST_ACCESS_KEY_ID,
    TEST_SECRET_ACCESS_KEY,
    S3Credentials,
    rclone_version,
)

DATA_DIR = Path(".flix/test-stores")


@dataclass(frozen=True)
class Store:
    """A store the tests need: the variable that names it and how to start one."""

    name: str
    variable: str
    start: Callable[[Path, contextlib.ExitStack, Callable[[str], None]], tuple[str, str]]
    needs_jvm: bool = False


def _postgres(
    data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]
) -> tuple[str, str]:
    url = f"postgresql://postgres@{HOST}:{embedded.start_postgres(data_dir, stack, say)}/postgres"

    async def version() -> str:
        connection = await asyncpg.connect(url)
        try:
            return str(await connection.fetchval("SHOW server_version"))
        finally:
            await connection.close()

    return url, asyncio.run(version())


def _redis(
    data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]
) -> tuple[str, str]:
    url = f"redis://{HOST}:{embedded.start_redis(data_dir, stack, say)}/1"
    with redis.Redis.from_url(url) as client:
        return url, str(client.info("server")["redis_version"])


def _nats(
    data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]
) -> tuple[str, str]:
    port = embedded.start_nats(data_dir, stack, say)
    greeting = json.loads(exchange(port, b"")[5:])
    return f"nats://{HOST}:{port}", str(greeting.get("version", "?"))


def _s3(data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]) -> tuple[str, str]:
    # The buckets earlier runs left (tests/helpers/objects.py names them t-*), gone first.
    for folder in (data_dir / "s3").glob("t-*"):
        shutil.rmtree(folder, ignore_errors=True)
    # Fixed credentials (loopback, throwaway data): tests/helpers/objects.py knows them.
    credentials = S3Credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY)
    port = embedded.start_s3(data_dir, stack, say, credentials)
    return f"http://{HOST}:{port}", rclone_version()


def _cassandra(
    data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]
) -> tuple[str, str]:
    from server.jvm.cassandra import start_cassandra

    node = start_cassandra(data_dir, stack, say)
    _drop_test_keyspaces(node.hosts)
    return node.hosts, node.version


def _drop_test_keyspaces(hosts: str) -> None:
    """The keyspaces earlier runs made (one per test process), gone before this run: a
    reused data folder would otherwise grow with every run, and so would the start time."""
    from cassandra.cluster import Cluster

    host, port = hosts.rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=5)
    try:
        session = cluster.connect()
        rows = session.execute("SELECT keyspace_name FROM system_schema.keyspaces")
        for name in [row.keyspace_name for row in rows if row.keyspace_name.startswith("flix_")]:
            session.execute(f'DROP KEYSPACE IF EXISTS "{name}"', timeout=60)
    finally:
        cluster.shutdown()


def _kafka(
    data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]
) -> tuple[str, str]:
    from server.jvm.kafka import start_kafka

    node = start_kafka(data_dir, stack, say)
    return node.bootstrap, node.version


STORES = (
    Store("PostgreSQL", "FLIX_TEST_POSTGRES", _postgres),
    Store("Redis", "FLIX_TEST_REDIS_URL", _redis),
    Store("NATS JetStream", "FLIX_TEST_NATS_URL", _nats),
    Store("S3 (rclone)", "FLIX_TEST_S3_ENDPOINT", _s3),
    Store("Apache Cassandra", "FLIX_TEST_CASSANDRA_HOSTS", _cassandra, needs_jvm=True),
    Store("Apache Kafka", "FLIX_TEST_KAFKA_BOOTSTRAP", _kafka, needs_jvm=True),
)


def say(message: str) -> None:
    print(f"[stores] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def running_stores(data_dir: Path) -> Iterator[dict[str, str]]:
    """The FLIX_TEST_* variables of every store, starting the ones not given."""
    given = {
        store.variable: os.environ[store.variable]
        for store in STORES
        if os.environ.get(store.variable)
    }
    missing = [store for store in STORES if store.variable not in given]
    if not missing:
        say("every FLIX_TEST_* store is given; starting nothing")
        yield given
        return
    data_dir = data_dir.absolute()
    data_dir.mkdir(parents=True, exist_ok=True)
    found = dict(given)
    with embedded.data_folder_lock(data_dir), contextlib.ExitStack() as stack:
        for store in missing:
            if store.needs_jvm and not maven.available():
                say(f"{store.name}: not started, no JDK and Maven here; its tests will skip")
                continue
            address, version = store.start(data_dir, stack, say)
            say(f"{store.name} {version} at {address}")
            found[store.variable] = address
        yield found
        say("stopping the stores…")


def _run(command: list[str], variables: dict[str, str]) -> int:
    child = subprocess.Popen(command, env={**os.environ, **variables})

    # Ctrl-C reaches the child from the terminal by itself; SIGTERM (CI's timeout) is passed
    # on. Either way we wait for the child to finish before the stores are stopped.
    def forward(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGTERM:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m server.supervisor COMMAND [ARGS...]", file=sys.stderr)
        return 2
    try:
        with running_stores(Path(os.environ.get("FLIX_TEST_DATA_DIR", DATA_DIR))) as variables:
            return _run(argv, variables)
    except (EmbeddedServerError, embedded.DataFolderInUse) as error:
        say(f"could not start the stores: {error}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
