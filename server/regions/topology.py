"""Everything `flix regions up` runs, started in order and stopped in reverse: the embedded
stores once (PostgreSQL primary, Redis, NATS, S3), the primary's streaming replica, a BFF per
region, a media edge (nginx) per region in front of its BFF's /media, and HAProxy in front of
the BFFs; and the promotion of the replica when the primary is lost.

All of it runs as children of one process, on loopback: three "regions" on one machine share
Redis (sessions, so a signed-in viewer may land on any region), the event log and the object
store, and differ in where their catalog reads go (us-east: the primary; us-west and eu-west:
the replica), in their media edge (each BFF's ``FLIX_MEDIA_BASE_URL`` is its own region's
edge, so a player served by a region fetches its media from that region's edge) and in their
processes, which fail on their own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from migrations.runner import upgrade
from server.edge import EdgeConfig, edge_server
from server.embedded import (
    EMBEDDED_BUCKET,
    create_database,
    data_folder_lock,
    nats_server,
    postgres_server,
    redis_server,
)
from server.processes import HOST, ChildServer, EmbeddedServerError, free_port, spawn, wait_ready
from server.regions import replica
from server.regions.bff import bff_server
from server.regions.haproxy import haproxy_server, render_config, stats
from server.regions.layout import (
    PRIMARY_REGION,
    REGIONS,
    REPLICA_REGION,
    Layout,
    Running,
    primary_is_replica_root,
    write_json,
    write_running,
)
from server.s3_server import S3Credentials, s3_server
from server.secrets import ensure_secrets
from server.watchdog import Watchdog
from server.worker_process import WorkerProcess

BALANCED_TIMEOUT_S = 30.0


class PromotionError(RuntimeError):
    """The promotion asked for cannot be done."""


@dataclass(frozen=True)
class RegionsOptions:
    port: int = 8080  # HAProxy's, where clients connect
    workers: int = 1  # uvicorn processes per region
    check_ms: int = 1000  # HAProxy's health-check interval
    worker: bool = True  # a `flix worker` beside the regions (consumers, outbox relay)
    extra_env: Mapping[str, str] = field(default_factory=dict)  # for every BFF (benches, tests)


def database_url(server: ChildServer) -> str:
    return f"postgresql+asyncpg://postgres@{HOST}:{server.port}/flix"


class Regions:
    """The running regions; enter to start them all, exit to stop them all. Start, promote
    and stop from one thread (the main one): children die with the thread that spawned them.

    ``prepare``, when given, runs once the stores are up and migrated and before any BFF
    starts (so the BFFs' catalog snapshots include what it loads): `--demo`'s catalog and
    media, a bench's titles. ``tool_env()`` is then the environment for `flix` commands."""

    def __init__(
        self,
        data_dir: Path,
        options: RegionsOptions,
        say: Callable[[str], None] = print,
        prepare: Callable[[Regions], None] | None = None,
    ) -> None:
        self.layout = Layout(data_dir.expanduser().absolute())
        self.options = options
        self._say = say
        self._stack = contextlib.ExitStack()
        self.primary: ChildServer | None = None
        self.replica: ChildServer | None = None  # None once promoted
        self.bffs: dict[str, ChildServer] = {}
        self.edges: dict[str, ChildServer] = {}
        self.haproxy: ChildServer | None = None
        self._watched: list[ChildServer] = []  # the watchdog's list: a fenced server leaves it
        self._worker: WorkerProcess | None = None
        self._env: dict[str, str] = {}
        self._prepare = prepare
        self._ports = {region: free_port() for region in REGIONS}
        # Picked before anything starts: each BFF is told its edge's URL when it starts.
        self._edge_ports = {region: free_port() for region in REGIONS}

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.options.port}"

    def region_url(self, region: str) -> str:
        return f"http://{HOST}:{self._ports[region]}"

    def edge_url(self, region: str) -> str:
        """The region's media edge: what its BFF's playback URLs and manifests name."""
        return f"http://{HOST}:{self._edge_ports[region]}"

    def edge_access_log(self, region: str) -> Path:
        return self._edge_config(region).access_log

    def tool_env(self) -> dict[str, str]:
        """The environment of a `flix` command on these stores (the worker, an ingest):
        the shared stores and secrets, and the primary for writes."""
        assert self.primary is not None
        return {**self._env, "FLIX_DATABASE_URL": database_url(self.primary)}

    def _edge_config(self, region: str) -> EdgeConfig:
        return EdgeConfig(
            origin_url=self.region_url(region),
            listen_port=self._edge_ports[region],
            data_dir=self.layout.edge_folder(region),
        )

    # --- starting and stopping ---------------------------------------------

    def __enter__(self) -> Regions:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.close()

    def _start(self) -> None:
        layout, say = self.layout, self._say
        layout.folder.mkdir(parents=True, exist_ok=True)
        self._stack.enter_context(data_folder_lock(layout.data_dir))
        self._stack.callback(layout.running_file.unlink, missing_ok=True)
        ensure_secrets(layout.data_dir)
        # After a promotion the replica's folder holds the primary, and the old primary's
        # becomes the new replica (copied afresh: ensure_base_backup fences what was there).
        promoted_before = primary_is_replica_root(layout)
        primary_root = layout.replica_root if promoted_before else layout.data_dir
        replica_root = layout.data_dir if promoted_before else layout.replica_root

        self.primary = postgres_server(primary_root, say)
        self._start_server(self.primary)
        create_database(self.primary, "flix")
        redis, nats = redis_server(layout.data_dir), nats_server(layout.data_dir)
        self._start_server(redis)
        self._start_server(nats)
        credentials = S3Credentials.generated()
        s3 = s3_server(layout.data_dir, credentials, buckets=(EMBEDDED_BUCKET,))
        self._start_server(s3)
        say("applying migrations…")
        upgrade(database_url(self.primary))

        replica.ensure_slot(self.primary)
        replica.ensure_base_backup(self.primary, replica_root, say)
        self.replica = replica.replica_server(replica_root, self.primary.port, say)
        self._start_server(self.replica)
        self._watched = [self.primary, redis, nats, s3, self.replica]
        # Entered after the servers, so it stops before them: their stops are no crashes.
        self._stack.enter_context(Watchdog(self._watched, say))

        self._env = {
            **os.environ,
            **self.options.extra_env,
            "FLIX_DATA_DIR": str(layout.data_dir),
            "FLIX_REDIS_URL": f"redis://{HOST}:{redis.port}/0",
            "FLIX_NATS_URL": f"nats://{HOST}:{nats.port}",
            "FLIX_S3_ENDPOINT": f"http://{HOST}:{s3.port}",
            "FLIX_S3_BUCKET": EMBEDDED_BUCKET,
            "FLIX_S3_ACCESS_KEY_ID": credentials.access_key_id,
            "FLIX_S3_SECRET_ACCESS_KEY": credentials.secret_access_key,
        }
        if self._prepare is not None:
            self._prepare(self)
        self._stack.callback(self._stop_regions)
        self._start_regions()
        # After the BFFs (so stopped before them): a promotion restarts the BFFs behind the
        # same edges, which keep their caches and their ports.
        self._start_edges()
        self._start_haproxy()
        self._publish()
        say(f"regions up: {self.url} → " + ", ".join(f"{r} {self.region_url(r)}" for r in REGIONS))
        say("media edges: " + ", ".join(f"{r} {self.edge_url(r)}" for r in REGIONS))

    def _start_server(self, server: ChildServer) -> None:
        self._say(f"starting {server.name}…")
        self._stack.callback(server.stop, self._say)
        server.start()

    def _start_regions(self) -> None:
        """Every region's BFF (and the worker), spawned together and then awaited: three
        imports at once take about as long as one."""
        assert self.primary is not None
        primary_url = database_url(self.primary)
        replica_url = database_url(self.replica) if self.replica else None
        for region in REGIONS:
            env = {**self._env, "FLIX_MEDIA_BASE_URL": self.edge_url(region)}
            if self.options.workers > 1:
                metrics = self.layout.folder / "metrics" / region
                shutil.rmtree(metrics, ignore_errors=True)
                metrics.mkdir(parents=True)
                env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
            self.bffs[region] = bff_server(
                region,
                self._ports[region],
                env,
                self.layout.folder / f"{region}.log",
                database_url=primary_url,
                catalog_database_url=None if region == PRIMARY_REGION else replica_url,
                workers=self.options.workers,
            )
        self._say("starting the regions' BFFs…")
        for server in self.bffs.values():
            server.proc = spawn(
                server.argv, server.log, server.cwd, server.run_as, server.stop_signal, server.env
            )
        for server in self.bffs.values():
            assert server.proc is not None
            wait_ready(server.name, server.proc, server.log, server.ready, server.ready_timeout)
        if self.options.worker:
            self._worker = WorkerProcess(self.tool_env(), self._say)
            self._worker.start()

    def _stop_regions(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        for server in self.bffs.values():
            server.stop(self._say)

    def _start_edges(self) -> None:
        """Each region's nginx edge in front of its own BFF (not the balancer): the region's
        players' media stays in their region, and the edge's origin is the BFF that signed
        their URLs. Not watched: the watchdog stops after them, and would revive them."""
        for region in REGIONS:
            edge = dataclasses.replace(
                edge_server(self._edge_config(region)), name=f"edge {region}"
            )
            self.edges[region] = edge
            self._start_server(edge)

    def _start_haproxy(self) -> None:
        config = render_config(
            self.options.port,
            [(region, self._ports[region]) for region in REGIONS],
            self.layout.haproxy_socket,
            self.options.check_ms,
        )
        self.layout.haproxy_config.write_text(config)
        self.haproxy = haproxy_server(
            self.layout.haproxy_config, self.options.port, self.layout.folder / "haproxy.log"
        )
        self._start_server(self.haproxy)
        self.wait_balanced()

    def wait_balanced(self, timeout: float = BALANCED_TIMEOUT_S) -> None:
        """Until HAProxy's checks have passed on every region (it starts them half-way, "UP
        1/2"), so that the first requests find the regions as they are."""
        deadline = time.monotonic() + timeout
        while True:
            seen = {health.region: health.status for health in stats(self.layout.haproxy_socket)}
            if all(seen.get(region) == "UP" for region in REGIONS):
                return
            if time.monotonic() > deadline:
                raise EmbeddedServerError(f"HAProxy does not see every region up: {seen}")
            time.sleep(0.05)

    def _publish(self) -> None:
        assert self.primary is not None
        databases = {
            region: "replica" if self.replica and region != PRIMARY_REGION else "primary"
            for region in REGIONS
        }
        write_running(
            self.layout,
            Running(
                pid=os.getpid(),
                port=self.options.port,
                regions=dict(self._ports),
                primary_port=self.primary.port,
                replica_port=self.replica.port if self.replica else None,
                promoted=self.replica is None,
                region_database=databases,
                edges={region: self.edge_url(region) for region in REGIONS},
            ),
        )

    # --- promotion -----------------------------------------------------------

    def promote(self, region: str) -> None:
        """Promote the replica in region (the primary region is lost): fence the old primary
        (stopped if it is still alive, so it can never take another write), make the replica
        the primary, and restart every region's BFF (and the worker) on it."""
        if region != REPLICA_REGION:
            raise PromotionError(
                f"{region} has no replica to promote; the replica is in {REPLICA_REGION}"
            )
        if self.replica is None:
            raise PromotionError(f"{region}'s replica was promoted already")
        assert self.primary is not None
        old_primary, new_primary = self.primary, self.replica
        # Out of the watchdog's list first, so it does not start the fenced primary again.
        self._watched.remove(old_primary)
        self._say("fencing the old primary…")
        old_primary.stop(self._say)
        self._say(f"promoting the replica in {region}…")
        replica.promote(new_primary)
        # For good: the next `regions up` starts this folder as the primary.
        write_json(self.layout.roles_file, {"primary": "replica", "promoted_region": region})
        self.primary, self.replica = new_primary, None
        self._say("restarting the regions on the new primary…")
        self._stop_regions()
        self._start_regions()
        self._publish()
        self._say(f"promoted: the primary is now in {region} on port {new_primary.port}")
