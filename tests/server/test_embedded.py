"""The embedded PostgreSQL, Redis and NATS that `flix serve` starts without URLs."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import nats
import pytest
import redis

from datasources.objects import S3Config, S3ObjectStore
from server import embedded, processes
from server.embedded import DataFolderInUse, EmbeddedServerError, EmbeddedUrls, embedded_services
from tests.helpers.aio import blocking

pytestmark = pytest.mark.embedded


def _ports(urls: EmbeddedUrls) -> list[int]:
    ports = [urlsplit(url).port for url in (urls.database_url, urls.redis_url, urls.nats_url)]
    return [port for port in ports if port is not None]


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
    except OSError:
        return False
    return True


async def _postgres(url: str, *statements: str) -> list[asyncpg.Record]:
    """Run statements in order; return the rows of the last one."""
    connection = await asyncpg.connect(url.replace("+asyncpg", "", 1))
    try:
        rows: list[asyncpg.Record] = []
        for statement in statements:
            rows = await connection.fetch(statement)
        return rows
    finally:
        await connection.close()


async def _jetstream_add_stream(url: str) -> None:
    client = await nats.connect(url)
    try:
        info = await client.jetstream().add_stream(name="EMBEDDED_TEST", subjects=["embedded.>"])
        assert info.config.name == "EMBEDDED_TEST"
    finally:
        await client.close()


def test_starts_working_servers_and_stops_them(tmp_path: Path) -> None:
    messages: list[str] = []
    with embedded_services(tmp_path, progress=messages.append) as urls:
        assert urls.database_url.startswith("postgresql+asyncpg://postgres@127.0.0.1:")
        assert urls.database_url.endswith("/flix")
        rows = blocking(
            _postgres(urls.database_url, "CREATE EXTENSION IF NOT EXISTS pg_trgm", "SELECT 1")
        )
        assert rows[0][0] == 1
        client = redis.Redis.from_url(urls.redis_url)
        try:
            assert client.ping()
        finally:
            client.close()
        blocking(_jetstream_add_stream(urls.nats_url))
        assert urls.s3 is not None
        bucket = S3ObjectStore(
            S3Config(
                urls.s3.endpoint,
                urls.s3.bucket,
                urls.s3.credentials.access_key_id,
                urls.s3.credentials.secret_access_key,
            )
        )
        blocking(bucket.put("embedded/check", b"stored"))
        assert blocking(bucket.get("embedded/check")) == b"stored"
        ports = _ports(urls)
        assert len(ports) == 3

    assert not [port for port in ports if _accepts(port)]
    assert any("PostgreSQL" in message for message in messages)
    assert (tmp_path / "postgres.log").stat().st_size > 0


def test_folder_in_use_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with embedded_services(tmp_path):

        def no_spawn(*args: object) -> None:
            raise AssertionError("a server was started on a folder in use")

        monkeypatch.setattr(embedded, "spawn", no_spawn)
        with pytest.raises(DataFolderInUse, match="in use") as raised, embedded_services(tmp_path):
            pass
        assert str(tmp_path) in str(raised.value)
        assert f"pid {os.getpid()}" in str(raised.value)


def test_data_persists_across_runs(tmp_path: Path) -> None:
    with embedded_services(tmp_path) as first:
        blocking(_postgres(first.database_url, "CREATE TABLE kept (id int)"))
    with embedded_services(tmp_path) as second:
        rows = blocking(_postgres(second.database_url, "SELECT to_regclass('kept')::text"))
        assert rows[0][0] == "kept"


def test_failed_start_stops_the_rest_and_unlocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picked: list[int] = []
    free_port = processes.free_port

    def recording_free_port() -> int:
        picked.append(free_port())
        return picked[-1]

    monkeypatch.setattr(embedded, "free_port", recording_free_port)
    monkeypatch.setattr(
        embedded,
        "wheel_executable",
        lambda name, package: (
            "/bin/false" if name == "nats-server" else processes.wheel_executable(name, package)
        ),
    )
    with pytest.raises(EmbeddedServerError, match="NATS exited"), embedded_services(tmp_path):
        pass

    assert len(picked) == 3
    assert not [port for port in picked if _accepts(port)]
    with (tmp_path / "flix.lock").open("rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held


def test_a_killed_server_is_started_again_on_its_port_and_data(tmp_path: Path) -> None:
    messages: list[str] = []
    with embedded_services(tmp_path, progress=messages.append) as urls:
        blocking(_postgres(urls.database_url, "CREATE TABLE kept (id int)"))
        for server in urls.servers:
            assert server.proc is not None
            killed = server.proc.pid
            os.kill(killed, signal.SIGKILL)  # a crash: no clean shutdown
            back = f"{server.name} is back on port {server.port}"
            deadline = time.monotonic() + 90
            while back not in messages:
                assert time.monotonic() < deadline, f"{server.name} not back: {messages}"
                time.sleep(0.2)
            assert server.proc.pid != killed and _serves(server)
        rows = blocking(_postgres(urls.database_url, "SELECT to_regclass('kept')::text"))
        assert rows[0][0] == "kept"  # the same data
        assert all(_accepts(port) for port in _ports(urls))  # the same ports


def _serves(server: processes.ChildServer) -> bool:
    try:
        return server.ready()
    except OSError:
        return False
