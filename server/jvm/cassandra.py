"""A single-node Apache Cassandra 5.0 for tests and development, from Maven Central jars.

The daemon runs as a child process under ``data_dir/cassandra/`` with a ``cassandra.yaml``
written anew on every start (ports are picked anew; the data folders are reused, so
keyspaces survive a restart). Nothing of Cassandra's tarball is needed: the jars come from
``cassandra.pom.xml`` and the JVM options that ``bin/cassandra`` would read from ``conf/``
are spelled out here.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from server.jvm import maven
from server.processes import HOST, ChildServer, EmbeddedServerError, free_port

__all__ = ["CassandraNode", "cassandra_server", "release_version", "start_cassandra"]

LOGBACK = Path(__file__).resolve().parent / "cassandra-logback.xml"
# A cold JVM replaying its commit log takes a while; a stuck one is reported after this.
READY_TIMEOUT_S = 120.0
# Cassandra drains (flushes memtables) on SIGTERM before it exits.
STOP_TIMEOUT_S = 30.0

# The JPMS lines of Cassandra 5.0's conf/jvm17-server.options (apache/cassandra, branch
# cassandra-5.0): the jars alone do not carry them, and without them Cassandra's off-heap,
# memory-measuring (jamm) and JMX code fails on JDK 17. Written ``--flag=value``, which the
# java launcher takes too. Later commits of the file add ``--add-opens java.base/java.nio``;
# it is kept here as it is harmless on 5.0.
JVM17_MODULE_OPTIONS = [
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED",
    "--add-exports=java.sql/java.sql=ALL-UNNAMED",
    "--add-exports=java.base/java.lang.ref=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.module=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.math=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.module=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED",
    "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
]

# The same file's other lines that matter here: jamm attaches to its own JVM, and netty's
# allocator gets the behaviour Cassandra is tuned for.
JVM17_SYSTEM_PROPERTIES = [
    "-Djdk.attach.allowAttachSelf=true",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
]

# A lone node has nobody to wait for: skip the waits a joining cluster member needs.
FAST_START_PROPERTIES = [
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",
    "-Dcassandra.ring_delay_ms=100",
    "-Dcassandra.superuser_setup_delay_ms=0",
]


@dataclass(frozen=True)
class CassandraNode:
    hosts: str  # "127.0.0.1:PORT", what FLIX_CASSANDRA_HOSTS takes
    version: str  # the server's release_version


def cassandra_server(data_dir: Path, say: Callable[[str], None]) -> ChildServer:
    """Cassandra on ``data_dir/cassandra`` on new free ports, not started yet; ``port`` is
    the CQL port. Its command line
    and cassandra.yaml are fixed here, so a restart keeps ports and data."""
    jars = maven.classpath("cassandra", say)
    home = data_dir / "cassandra"
    home.mkdir(parents=True, exist_ok=True)
    native_port, storage_port = free_port(), free_port()
    config = home / "cassandra.yaml"
    config.write_text(_config(home, native_port, storage_port))
    argv = [maven.java(), *_jvm_options(home, config, jars)]
    argv += ["-cp", ":".join(map(str, jars)), "org.apache.cassandra.service.CassandraDaemon"]
    return ChildServer(
        name="Cassandra",
        argv=argv,
        log=data_dir / "cassandra.log",
        cwd=home,
        port=native_port,
        ready=lambda: release_version(native_port) is not None,
        stop_signal=signal.SIGTERM,
        ready_timeout=READY_TIMEOUT_S,
        stop_timeout=STOP_TIMEOUT_S,
    )


def start_cassandra(
    data_dir: Path, stack: contextlib.ExitStack, say: Callable[[str], None]
) -> CassandraNode:
    """Start Cassandra under ``data_dir/cassandra``; the ExitStack stops it. From the main
    thread: the child dies with the thread that spawned it."""
    server = cassandra_server(data_dir, say)
    say("starting Cassandra…")
    stack.callback(server.stop, say)
    server.start()
    version = release_version(server.port)
    if version is None:
        raise EmbeddedServerError("Cassandra stopped answering right after it started")
    return CassandraNode(hosts=f"{HOST}:{server.port}", version=version)


def _jvm_options(home: Path, config: Path, jars: list[Path]) -> list[str]:
    jamm = next((jar for jar in jars if jar.name.startswith("jamm-")), None)
    if jamm is None:
        raise EmbeddedServerError("the Cassandra jars lack jamm (its memory meter)")
    options = ["-Xms1g", "-Xmx1g", "-Xss256k", "-XX:+UseG1GC", "-Djava.net.preferIPv4Stack=true"]
    # What Cassandra's startup checks ask for: a JVM out of memory must not limp on.
    options += ["-XX:+ExitOnOutOfMemoryError"]
    # bin/cassandra attaches jamm as an agent: Cassandra sizes memtables with it.
    options += [f"-javaagent:{jamm}", *JVM17_MODULE_OPTIONS, *JVM17_SYSTEM_PROPERTIES]
    options += [
        f"-Dcassandra.config={config.as_uri()}",
        f"-Dcassandra.storagedir={home}",
        f"-Dcassandra.triggers_dir={home / 'triggers'}",
        f"-Dlogback.configurationFile={LOGBACK}",
        "-Dcassandra-foreground=yes",
        *FAST_START_PROPERTIES,
    ]
    return options


def _config(home: Path, native_port: int, storage_port: int) -> str:
    """A minimal cassandra.yaml: what 5.0 requires, loopback only, small and quiet."""
    names = ("data", "commitlog", "saved_caches", "hints", "cdc", "triggers")
    folders = {name: home / name for name in names}
    for folder in folders.values():
        folder.mkdir(exist_ok=True)
    settings: dict[str, object] = {
        "cluster_name": "flix-dev",
        "num_tokens": 1,
        "partitioner": "org.apache.cassandra.dht.Murmur3Partitioner",
        "endpoint_snitch": "SimpleSnitch",
        "seed_provider": [
            {
                "class_name": "org.apache.cassandra.locator.SimpleSeedProvider",
                "parameters": [{"seeds": f"{HOST}:{storage_port}"}],
            }
        ],
        "listen_address": HOST,
        "rpc_address": HOST,
        "storage_port": storage_port,
        "native_transport_port": native_port,
        "start_native_transport": True,
        "data_file_directories": [str(folders["data"])],
        "commitlog_directory": str(folders["commitlog"]),
        "saved_caches_directory": str(folders["saved_caches"]),
        "hints_directory": str(folders["hints"]),
        "cdc_raw_directory": str(folders["cdc"]),
        "commitlog_sync": "periodic",
        "commitlog_sync_period": "10000ms",
        "commitlog_segment_size": "8MiB",
        # Tests drop and truncate a lot; snapshots of every one would only fill the disk.
        "auto_snapshot": False,
        "memtable_heap_space": "64MiB",
        "memtable_offheap_space": "64MiB",
        "key_cache_size": "8MiB",
        "storage_compatibility_mode": "NONE",  # a new cluster: no 4.x nodes to talk to
    }
    # JSON is YAML: no YAML writer needed for a flat document of scalars and lists.
    return json.dumps(settings, indent=2) + "\n"


def release_version(port: int) -> str | None:
    """The node's version once it answers CQL; None while it does not yet."""
    # Cheap check first: the driver's connect is slow to fail and logs every refusal.
    try:
        socket.create_connection((HOST, port), timeout=1.0).close()
    except OSError:
        return None
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import RoundRobinPolicy

    # Blocking is fine here: this runs in the supervisor, never in an event loop.
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=5)
    cluster = Cluster(
        [HOST],
        port=port,
        protocol_version=5,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=5,
        control_connection_timeout=5,
        schema_metadata_enabled=False,
        token_metadata_enabled=False,
    )
    try:
        session = cluster.connect()
        row = session.execute("SELECT release_version FROM system.local").one()
    except Exception:
        return None  # listening, but not serving CQL yet
    finally:
        cluster.shutdown()
    return str(row.release_version) if row is not None else None
