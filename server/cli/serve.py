"""``flix serve``: the API, on given stores or on embedded ones started here first."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.catalog import count_videos
from datasources.playback import assets
from media import drm
from media.demo import publish_demo_media
from migrations.runner import upgrade
from server.cli.catalog import import_demo_catalog
from server.cli.ingest import StageBars
from server.embedded import DataFolderInUse, EmbeddedServerError, embedded_services
from server.gateway_process import gateway_server
from server.secrets import ensure_secrets
from server.settings import Settings
from server.worker_process import WorkerProcess

console = Console(stderr=True, soft_wrap=True)  # never break a path or a message mid-line
_URL_VARIABLES = ("FLIX_DATABASE_URL", "FLIX_REDIS_URL")


@contextmanager
def _stores(settings: Settings, data_dir: Path) -> Iterator[Settings]:
    """Settings whose URLs point at running stores: the given ones, or embedded ones."""
    # The broker is the one the event log is on: NATS (the default) or Kafka.
    kafka = settings.event_log == "kafka"
    broker = settings.kafka_bootstrap if kafka else settings.nats_url
    given = [settings.database_url, settings.redis_url, broker]
    if all(given):
        yield settings
        return
    if any(given):
        variables = [*_URL_VARIABLES, "FLIX_KAFKA_BOOTSTRAP" if kafka else "FLIX_NATS_URL"]
        console.print(f"[red]Set all of {', '.join(variables)}, or none of them.")
        raise typer.Exit(2)
    try:
        with embedded_services(data_dir, progress=console.print) as urls:
            # Environment, not arguments: uvicorn's worker processes read their settings anew.
            os.environ["FLIX_DATABASE_URL"] = urls.database_url
            os.environ["FLIX_REDIS_URL"] = urls.redis_url
            os.environ["FLIX_NATS_URL"] = urls.nats_url
            if urls.s3 is not None and not settings.s3_bucket:  # a given bucket is kept
                os.environ["FLIX_S3_ENDPOINT"] = urls.s3.endpoint
                os.environ["FLIX_S3_BUCKET"] = urls.s3.bucket
                os.environ["FLIX_S3_ACCESS_KEY_ID"] = urls.s3.credentials.access_key_id
                os.environ["FLIX_S3_SECRET_ACCESS_KEY"] = urls.s3.credentials.secret_access_key
            yield Settings()
    except DataFolderInUse as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from None
    except EmbeddedServerError as error:
        console.print(f"[red]could not start the embedded servers: {error}")
        raise typer.Exit(1) from None


@contextmanager
def _gateway(
    wanted: bool, host: str, port: int, gateway_port: int, data_dir: Path
) -> Iterator[None]:
    """Hive Gateway in front of this server's subgraphs (``--federated``), stopped last.

    It listens on loopback: clients keep using this server's ``/graphql``, which forwards to
    it (server/gateway_proxy.py) and is the only caller it trusts with X-Forwarded-For."""
    if not wanted:
        yield
        return
    # The gateway reaches the subgraphs on loopback when the server listens everywhere.
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    try:
        gateway = gateway_server(
            f"http://{local_host}:{port}", gateway_port, data_dir / "gateway.log"
        )
        gateway.start()
    except EmbeddedServerError as error:
        console.print(f"[red]could not start the gateway: {error}")
        raise typer.Exit(1) from None
    # Environment, not arguments: uvicorn's worker processes read their settings anew.
    os.environ["FLIX_GATEWAY_URL"] = gateway_url
    console.print(
        f"federated: http://{local_host}:{port}/graphql (and the web client) answered by"
        f" Hive Gateway at {gateway_url}/graphql, from the subgraphs at"
        f" http://{local_host}:{port}/subgraphs/<name>/graphql"
    )
    try:
        yield
    finally:
        gateway.stop(console.print)


@contextmanager
def _worker(wanted: bool) -> Iterator[None]:
    """One `flix worker` beside the web workers, on the same environment (the stores' URLs
    included), stopped before the stores are."""
    if not wanted:
        console.print("no worker started (--no-worker): run `flix worker` for events to flow")
        yield
        return
    worker = WorkerProcess(os.environ, console.print)
    worker.start()
    try:
        yield
    finally:
        worker.stop()


async def _catalog_is_empty(database_url: str) -> bool:
    engine = create_async_engine(database_url)
    try:
        return await count_videos(engine) == 0
    finally:
        await engine.dispose()


async def _demo_media(settings: Settings, data_dir: Path) -> None:
    """Encode the demo clips once (when no title has media yet), so every title plays."""
    assert settings.database_url is not None and settings.media_master_key is not None
    engine = create_async_engine(settings.database_url)
    try:
        if await assets.any_ready(engine):
            return
        with Progress(*Progress.get_default_columns(), console=console) as bars:
            count = await publish_demo_media(
                engine,
                settings.media_folder,
                data_dir / "cache",
                drm.parse_master_key(settings.media_master_key),
                StageBars(bars),
            )
        console.print(f"demo media ready for {count} titles")
    finally:
        await engine.dispose()


def load_demo(settings: Settings, data_dir: Path) -> None:
    """What --demo loads (`flix regions up --demo` too): the demo catalog and accounts into
    an empty catalog, and the demo media once."""
    assert settings.database_url is not None
    if asyncio.run(_catalog_is_empty(settings.database_url)):
        asyncio.run(import_demo_catalog(settings.database_url, data_dir))
    asyncio.run(_demo_media(settings, data_dir))


def _aggregate_metrics(data_dir: Path) -> None:
    """Several processes count: prometheus-client's multiprocess mode keeps each process's
    samples in files here, and /metrics (any worker) sums them. Emptied at each start, so
    no dead process's counts linger."""
    folder = data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # Environment, read by prometheus-client in every process started from here on.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def serve(
    demo: bool = typer.Option(False, help="Load the demo catalog and accounts if empty."),
    host: str | None = typer.Option(None, help="Interface to listen on [FLIX_HOST]."),
    port: int | None = typer.Option(None, help="Port to listen on [FLIX_PORT]."),
    workers: int | None = typer.Option(
        None, min=1, help="uvicorn worker processes [default: one per core]."
    ),
    data_dir: Path | None = typer.Option(None, help="Embedded servers' data [FLIX_DATA_DIR]."),
    worker: bool = typer.Option(
        True, help="Start a `flix worker` (consumers, outbox relay); --no-worker if it runs apart."
    ),
    federated: bool = typer.Option(
        False,
        help="Answer /graphql through Hive Gateway (supergraph.graphql over these subgraphs).",
    ),
    gateway_port: int = typer.Option(4000, help="The gateway's port (with --federated)."),
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql), and each subgraph at
    /subgraphs/<name>/graphql; --federated answers /graphql through Hive Gateway."""
    settings = Settings()
    data_dir = (data_dir or settings.data_dir).resolve()
    ensure_secrets(data_dir)
    os.environ.setdefault("FLIX_DATA_DIR", str(data_dir))
    with _stores(Settings(), data_dir) as ready:
        assert ready.database_url is not None
        console.print("applying migrations…")
        upgrade(ready.database_url)
        if demo:
            load_demo(ready, data_dir)
        listen_host, listen_port = host or ready.host, port or ready.port
        workers = workers or len(os.sched_getaffinity(0))
        if workers > 1:
            _aggregate_metrics(data_dir)
        with _worker(worker), _gateway(federated, listen_host, listen_port, gateway_port, data_dir):
            uvicorn.run(
                "server.app:create_app",
                factory=True,
                host=listen_host,
                port=listen_port,
                workers=workers,
                # A new worker imports the whole app first (3-5 s of CPU); uvicorn's default
                # 5 s health check killed it before it answered on a busy machine, and its
                # replacement too, in a loop (bench/progress counts processes to catch this).
                timeout_worker_healthcheck=30,
                proxy_headers=True,
                log_level="warning",
            )
            console.print("stopping…")
