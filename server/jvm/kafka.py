"""A single-node Apache Kafka (KRaft, broker and controller in one JVM) for tests and development.

The jars come from Maven Central once (``kafka.pom.xml``, cached by ``server.jvm.maven``). The
data folder is formatted once, with a cluster id kept beside it, and reused on later starts;
``server.properties`` is rewritten on every start. The last ports are kept in the folder and
taken again while free, so a restarted broker keeps its address (clients configured with it
reconnect); when they are taken, new ones are picked. A changed controller port is safe with
``--standalone`` (a dynamic KRaft quorum): the only voter becomes leader on its own and, as it
does, records its new endpoint in the voter set (checked with Kafka 4.1).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import signal
import socket
import subprocess
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from server.jvm import maven
from server.processes import HOST, ChildServer, EmbeddedServerError, free_port, log_tail, spawn

__all__ = ["KafkaNode", "kafka_server", "start_kafka", "version"]

READY_TIMEOUT_S = 120.0
# A clean shutdown flushes the logs and hands over the group coordinator: give it time.
STOP_TIMEOUT_S = 60.0
FORMAT_TIMEOUT_S = 120.0
HEAP = "-Xmx512m"
NODE_ID = 1

LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
"""


@dataclass(frozen=True)
class KafkaNode:
    bootstrap: str  # "127.0.0.1:PORT"
    version: str


def kafka_server(data_dir: Path, say: Callable[[str], None]) -> ChildServer:
    """Kafka on ``data_dir/kafka`` (formatted here on first use), not started yet. Blocks
    while it fetches the jars and formats."""
    jars = maven.classpath("kafka", say)
    folder = data_dir / "kafka"
    logs = folder / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    log = data_dir / "kafka.log"
    (folder / "log4j2.properties").write_text(LOG4J2)
    port, controller_port = _ports(folder / "ports.json")
    properties = folder / "server.properties"
    properties.write_text(_server_properties(logs, port, controller_port))
    java = [maven.java(), HEAP, f"-Dlog4j2.configurationFile={folder / 'log4j2.properties'}"]
    java += ["-cp", ":".join(map(str, jars))]
    if not (logs / "meta.properties").exists():
        say("formatting the Kafka data folder (first run)…")
        _format(java, properties, folder, logs, log)
    return ChildServer(
        name=f"Kafka {_version(jars)}",
        argv=[*java, "kafka.Kafka", str(properties)],
        log=log,
        cwd=folder,
        port=port,
        ready=lambda: _serves(port),
        # SIGTERM is Kafka's controlled shutdown, also when we die (the death signal).
        stop_signal=signal.SIGTERM,
        ready_timeout=READY_TIMEOUT_S,
        stop_timeout=STOP_TIMEOUT_S,
    )


def start_kafka(
    data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]
) -> KafkaNode:
    """Start Kafka under ``data_dir/kafka``; the ExitStack stops it. From the main thread:
    the child dies with the thread that spawned it."""
    server = kafka_server(data_dir, say)
    say(f"starting {server.name}…")
    stack.callback(server.stop, say)
    server.start()
    return KafkaNode(bootstrap=f"{HOST}:{server.port}", version=version(server))


def version(server: ChildServer) -> str:
    """The Kafka version a ``kafka_server`` runs."""
    return server.name.removeprefix("Kafka ")


def _format(java: list[str], properties: Path, folder: Path, logs: Path, log: Path) -> None:
    shutil.rmtree(logs, ignore_errors=True)  # what an interrupted format left
    argv = [*java, "kafka.tools.StorageTool", "format", "--standalone"]
    argv += ["-t", _cluster_id(folder), "-c", str(properties)]
    proc = spawn(argv, log, folder, None, signal.SIGTERM)
    try:
        failed = proc.wait(timeout=FORMAT_TIMEOUT_S) != 0
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        failed = True
    if failed:
        shutil.rmtree(logs, ignore_errors=True)
        raise EmbeddedServerError(f"Kafka storage format failed; {log_tail(log)}")


def _ports(path: Path) -> tuple[int, int]:
    """The broker and controller ports: the last ones while both are free, else new ones."""
    with contextlib.suppress(OSError, ValueError, TypeError):
        port, controller_port = (int(p) for p in json.loads(path.read_text()))
        if _bindable(port) and _bindable(controller_port):
            return port, controller_port
    port, controller_port = free_port(), free_port()
    while controller_port == port:
        controller_port = free_port()
    path.write_text(json.dumps([port, controller_port]))
    return port, controller_port


def _bindable(port: int) -> bool:
    # SO_REUSEADDR as the JVM's listener uses it: a port whose old connections linger in
    # TIME_WAIT after our own broker's shutdown is free for it.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _server_properties(logs: Path, port: int, controller_port: int) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": NODE_ID,
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.quorum.bootstrap.servers": f"{HOST}:{controller_port}",
        "log.dirs": logs,
        # One node: internal topics can have one replica only, and need no more in sync.
        "offsets.topic.replication.factor": 1,
        "offsets.topic.num.partitions": 1,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        "min.insync.replicas": 1,
        "num.partitions": 1,
        # Topics are the event log's contract (retention per stream): made on purpose only.
        "auto.create.topics.enable": "false",
        # No one else will join: a consumer group need not wait 3 s for more members.
        "group.initial.rebalance.delay.ms": 0,
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _cluster_id(folder: Path) -> str:
    """The cluster id, made once and kept: a reformat after a lost log keeps the same id."""
    path = folder / "cluster.id"
    if path.exists():
        return path.read_text().strip()
    # Kafka's own form (Uuid.randomUuid): 16 random bytes, base64url without padding, and
    # like Kafka never one that starts with "-", which the storage tool reads as an option.
    cluster_id = "-"
    while cluster_id.startswith("-"):
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    path.write_text(cluster_id + "\n")
    return cluster_id


def _version(jars: list[Path]) -> str:
    for jar in jars:
        if jar.name.startswith("kafka_2.13-"):
            return jar.name.removeprefix("kafka_2.13-").removesuffix(".jar")
    raise EmbeddedServerError("the kafka jars lack kafka_2.13 (server/jvm/kafka.pom.xml)")


def _serves(port: int) -> bool:
    """Whether the broker answers a metadata request and lists itself (registered, unfenced)."""
    socket.create_connection((HOST, port), timeout=1).close()  # OSError: not listening yet
    # A client of its own in a thread of its own: the caller may be inside an event loop
    # (an async test, ChildServer.restart), where asyncio.run is refused.
    with ThreadPoolExecutor(1) as probe:
        return probe.submit(asyncio.run, _describes_itself(f"{HOST}:{port}")).result()


async def _describes_itself(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await asyncio.wait_for(admin.start(), 5)
        cluster = await asyncio.wait_for(admin.describe_cluster(), 5)
    except Exception:
        return False  # not serving yet
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
    return any(broker["node_id"] == NODE_ID for broker in cluster["brokers"])
