"""A broker that a test can take away and bring back, whichever FLIX_EVENT_LOG names."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from datasources.events import Broker
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.stores import NATS_URL


@dataclass(frozen=True)
class Interruptible:
    settings: dict[str, str]  # the store settings that point at this broker
    cut: Callable[[], None]
    heal: Callable[[], None]


@contextlib.contextmanager
def interruptible_broker(broker: Broker, folder: Path) -> Iterator[Interruptible]:
    """NATS behind a fault proxy; for Kafka, a broker of our own, stopped and started again on
    the same port (a proxy cannot stand in front of Kafka: clients go to the address the
    broker advertises). Cut and heal from the main thread: the broker dies with its spawner."""
    if broker == "nats":
        address = urlsplit(NATS_URL)
        with FaultProxy(address.hostname or "127.0.0.1", address.port or 4222) as proxy:
            yield Interruptible(
                {"nats_url": f"nats://127.0.0.1:{proxy.port}"}, proxy.reset, proxy.heal
            )
        return

    from server.jvm.kafka import kafka_server

    server = kafka_server(folder, lambda _: None)
    server.start()
    try:
        yield Interruptible(
            {"kafka_bootstrap": f"127.0.0.1:{server.port}"}, server.stop, server.start
        )
    finally:
        server.stop()
