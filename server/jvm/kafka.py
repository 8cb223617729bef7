"""A single-node Apache Kafka (KRaft, broker and controller in one JVM) for tests and development.

The jars come from Maven Central once (``kafka.pom.xml``, cached by ``server.jvm.maven``). The
data folder is formatted once, with a cluster id kept beside it, and reused on later starts;
ports are picked anew on every start, so ``server.properties`` is rewritten each time. A
changed controller port is safe with ``--standalone`` (a dynamic KRaft quorum): the only voter
becomes leader on its own and records its new endpoint in the voter set as it does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import shutil
import signal
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from server.jvm import maven
from server.processes import HOST, EmbeddedServerError, free_port, log_tail, spawn, stop, wait_ready

__all__ = ["KafkaNode", "start_kafka"]

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


def start_kafka(
    data_dir: Path,
    stack: contextlib.ExitStack,
    say: Callable[[str], None],
    *,
    cache: Path | None = None,
) -> KafkaNode:
    """Start Kafka under ``data_dir/kafka`` (jars cached under ``cache``, default
    ``data_dir/cache``); the ExitStack stops it. Call from the main thread, outside an
    event loop: the child is tied to the spawning thread's life, and readiness is probed
    with a real client in a short event loop of its own."""
    jars = maven.classpath("kafka", cache or data_dir / "cache", say)
    version = _version(jars)
    folder = data_dir / "kafka"
    logs = folder / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    log = data_dir / "kafka.log"
    (folder / "log4j2.properties").write_text(LOG4J2)
    port, controller_port = free_port(), free_port()
    properties = folder / "server.properties"
    properties.write_text(_server_properties(logs, port, controller_port))
    java = [maven.java(), HEAP, f"-Dlog4j2.configurationFile={folder / 'log4j2.properties'}"]
    java += ["-cp", ":".join(map(str, jars))]

    if not (logs / "meta.properties").exists():
        say("formatting the Kafka data folder (first run)…")
        shutil.rmtree(logs, ignore_errors=True)  # what an interrupted format left
        format_ = [*java, "kafka.tools.StorageTool", "format", "--standalone"]
        format_ += ["-t", _cluster_id(folder), "-c", str(properties)]
        proc = spawn(format_, log, folder, None, signal.SIGTERM)
        try:
            failed = proc.wait(timeout=FORMAT_TIMEOUT_S) != 0
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            failed = True
        if failed:
            shutil.rmtree(logs, ignore_errors=True)
            raise EmbeddedServerError(f"Kafka storage format failed; {log_tail(log)}")

    say(f"starting Kafka {version}…")
    # SIGTERM is Kafka's controlled shutdown, also when we die (the death signal).
    proc = spawn([*java, "kafka.Kafka", str(properties)], log, folder, None, signal.SIGTERM)
    stack.callback(stop, proc, "Kafka", signal.SIGTERM, say, STOP_TIMEOUT_S)
    bootstrap = f"{HOST}:{port}"
    wait_ready("Kafka", proc, log, lambda: asyncio.run(_serves(bootstrap)), READY_TIMEOUT_S)
    return KafkaNode(bootstrap=bootstrap, version=version)


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
    # Kafka's own form (Uuid.randomUuid): 16 random bytes, base64url without padding.
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    path.write_text(cluster_id + "\n")
    return cluster_id


def _version(jars: list[Path]) -> str:
    for jar in jars:
        if jar.name.startswith("kafka_2.13-"):
            return jar.name.removeprefix("kafka_2.13-").removesuffix(".jar")
    raise EmbeddedServerError("the kafka jars lack kafka_2.13 (server/jvm/kafka.pom.xml)")


async def _serves(bootstrap: str) -> bool:
    """Whether the broker answers a metadata request and lists itself (registered, unfenced)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await asyncio.wait_for(admin.start(), 5)
        cluster = await asyncio.wait_for(admin.describe_cluster(), 5)
    except Exception:
        return False  # not listening, or not serving yet
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
    return any(broker["node_id"] == NODE_ID for broker in cluster["brokers"])
