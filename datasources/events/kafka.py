"""The event log on Apache Kafka (aiokafka): one topic per ``Stream``, named like JetStream's
streams, with one partition (so one order per stream, as on JetStream).

An event's subject and message id travel in headers and its profile is the message key, so a
profile's events stay in order should a topic grow partitions. The producer is idempotent
(``acks=all``): its own retries never duplicate. A publish retried by the app (the outbox relay
after a lost ack) can still land twice, so readers drop it instead: a message whose id appeared
less than ``DUPLICATE_WINDOW`` earlier in the topic (broker time) is skipped, consumers and
``read`` alike, looking back past their starting point as far as that window, as JetStream's
duplicate window would have dropped it. Topics keep broker time (``LogAppendTime``), so replay
``since`` a time and the window mean what they mean on JetStream. A sequence is the offset
plus one: sequences start at 1 as JetStream's do, and a dropped repeat still uses one up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic, RecordsToDelete
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.events.contract import (
    DUPLICATE_WINDOW,
    MAX_DELIVER,
    PUBLISH_TIMEOUT_SECONDS,
    RETENTION,
    Broker,
    Event,
    Stream,
)
from datasources.events.outbox import OutboxPublisher, keep_consuming, log
from datasources.events.recent import RecentIds
from datasources.events.sealing import PayloadSealer, partition_key

PARTITION = 0
ID_HEADER = "flix-msg-id"
SUBJECT_HEADER = "flix-subject"
RETRY_SECONDS = 1.0  # between a failed handling of an event and the next try
POLL_MS = 5000
# read() gives up when the broker sends nothing for this long short of the end it saw.
READ_STALL_SECONDS = 15.0
ADMIN_TIMEOUT_MS = 10_000
_WINDOW_MS = int(DUPLICATE_WINDOW.total_seconds() * 1000)
_TOPIC_ALREADY_EXISTS = 36


class KafkaEventLog(OutboxPublisher):
    def __init__(
        self,
        bootstrap: str,
        engine: AsyncEngine,
        prefix: str = "",
        sealer: PayloadSealer | None = None,
    ) -> None:
        super().__init__(engine, prefix, sealer)
        self._bootstrap = bootstrap
        # Started on first use and again after a failed start: the app comes up, and keeps
        # publishing to the outbox, while the broker is away.
        self._producer: Any = None
        self._starting = asyncio.Lock()

    @property
    def broker(self) -> Broker:
        return "kafka"

    # Topics.

    async def ensure_streams(self) -> None:
        configs = {
            self.stream_name(stream): {
                "retention.ms": str(int(max_age.total_seconds() * 1000)),
                "message.timestamp.type": "LogAppendTime",
            }
            for stream, max_age in RETENTION.items()
        }
        async with self._admin() as admin:
            existing = set(await admin.list_topics())
            new = [
                NewTopic(name, num_partitions=1, replication_factor=1, topic_configs=config)
                for name, config in configs.items()
                if name not in existing
            ]
            if new:
                response = await admin.create_topics(new)
                for name, code, message in response.topic_errors:
                    if code not in (0, _TOPIC_ALREADY_EXISTS):  # a racing worker made it
                        raise RuntimeError(f"creating topic {name} failed ({code}): {message}")
            kept = [
                ConfigResource(ConfigResourceType.TOPIC, name, configs=config)
                for name, config in configs.items()
                if name in existing
            ]
            if kept:
                await admin.alter_configs(kept)

    async def delete_streams(self) -> None:
        names = {self.stream_name(stream) for stream in Stream}
        async with self._admin() as admin:
            present = names & set(await admin.list_topics())
            if present:
                await admin.delete_topics(sorted(present))

    @contextlib.asynccontextmanager
    async def _admin(self) -> AsyncIterator[Any]:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap, request_timeout_ms=ADMIN_TIMEOUT_MS
        )
        await admin.start()
        try:
            yield admin
        finally:
            await admin.close()

    # Publishing.

    async def _started_producer(self) -> Any:
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap, enable_idempotence=True, acks="all"
                )
                try:
                    await producer.start()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def _send(self, subject: str, payload: Mapping[str, Any], msg_id: str) -> None:
        # Bounded: past it the event goes to the outbox. The producer may still deliver it
        # later, and the relay too: readers drop the repeat.
        await asyncio.wait_for(self._deliver(subject, payload, msg_id), PUBLISH_TIMEOUT_SECONDS)

    async def _deliver(self, subject: str, payload: Mapping[str, Any], msg_id: str) -> None:
        producer = await self._started_producer()
        # Sealed, the profile is not there to key by: its key id keeps its events together.
        key = partition_key(payload) or payload.get("profile_id")
        await producer.send_and_wait(
            self.stream_name(self.stream_of(subject)),
            value=json.dumps(payload, separators=(",", ":")).encode(),
            key=None if key is None else str(key).encode(),
            headers=[(ID_HEADER, msg_id.encode()), (SUBJECT_HEADER, subject.encode())],
        )

    # Consuming.

    def _consumer(self, **options: Any) -> Any:
        # Offsets past the retention (or a new group) start at the oldest event kept.
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **options,
        )

    async def consume(
        self,
        stream: Stream,
        durable: str,
        handle: Callable[[Event], Awaitable[None]],
        batch: int = 100,
    ) -> None:
        # A consumer group per durable and stream (a JetStream durable belongs to its stream);
        # workers sharing it share the partitions.
        group = f"{self._prefix}{durable}.{stream.value.lower()}"
        handle = self._opening(handle)

        async def session() -> None:
            consumer = self._consumer(group_id=group, max_poll_records=batch)
            await consumer.start()
            recent: dict[Any, RecentIds] = {}
            handled: dict[Any, int] = {}  # partition -> next offset, not yet committed
            try:
                consumer.subscribe([self.stream_name(stream)])
                while True:
                    batches = await consumer.getmany(timeout_ms=POLL_MS, max_records=batch)
                    for partition, records in batches.items():
                        if partition not in recent:  # first records since this session began
                            recent[partition] = await self._window_before(records[0])
                        for record in records:
                            if not recent[partition].repeated(_msg_id(record), record.timestamp):
                                await _handle(handle, _event(record), durable)
                            handled[partition] = record.offset + 1
                    if handled:
                        await consumer.commit(handled)
                        handled.clear()
            finally:
                # Stopping (or the broker gone) mid-batch: keep what was handled, if we can.
                if handled:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(consumer.commit(handled), 2)
                await consumer.stop()

        await keep_consuming(durable, session)

    async def read(
        self, stream: Stream, *, since: datetime | None = None, from_sequence: int | None = None
    ) -> AsyncIterator[Event]:
        partition = TopicPartition(self.stream_name(stream), PARTITION)
        consumer = self._consumer()
        await consumer.start()
        try:
            consumer.assign([partition])
            end = (await consumer.end_offsets([partition]))[partition]
            if since is not None:
                at = {partition: int(since.timestamp() * 1000)}
                found = (await consumer.offsets_for_times(at))[partition]
                start = end if found is None else found.offset
            elif from_sequence is not None:
                start = max(from_sequence - 1, 0)
            else:
                start = (await consumer.beginning_offsets([partition]))[partition]
            recent: RecentIds | None = None
            async for record in _records(consumer, partition, start, end):
                recent = recent or await self._window_before(record)
                if not recent.repeated(_msg_id(record), record.timestamp):
                    yield _event(record)
        finally:
            await consumer.stop()

    async def _window_before(self, first: Any) -> RecentIds:
        """The ids of the window before ``first``, so that a repeat of one of them is known."""
        recent = RecentIds(DUPLICATE_WINDOW)
        if first.offset == 0:
            return recent
        partition = TopicPartition(first.topic, first.partition)
        scanner = self._consumer()
        await scanner.start()
        try:
            scanner.assign([partition])
            at = {partition: max(first.timestamp - _WINDOW_MS, 0)}
            found = (await scanner.offsets_for_times(at))[partition]
            if found is not None:
                async for record in _records(scanner, partition, found.offset, first.offset):
                    recent.repeated(_msg_id(record), record.timestamp)
        finally:
            await scanner.stop()
        return recent

    async def trim(self, stream: Stream, up_to_sequence: int) -> None:
        # Records below the offset go; a sequence is the offset plus one, so the next
        # sequence's offset is ``up_to_sequence``.
        partition = TopicPartition(self.stream_name(stream), PARTITION)
        async with self._admin() as admin:
            await admin.delete_records({partition: RecordsToDelete(up_to_sequence)})

    async def first_sequence(self, stream: Stream) -> int:
        partition = TopicPartition(self.stream_name(stream), PARTITION)
        consumer = self._consumer()
        await consumer.start()
        try:
            consumer.assign([partition])
            return int((await consumer.beginning_offsets([partition]))[partition]) + 1
        finally:
            await consumer.stop()

    async def ready(self) -> bool:
        producer = await self._started_producer()
        metadata = await producer.client.fetch_all_metadata()  # a real request to the broker
        return bool(metadata.brokers())

    async def close(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), 5)
            self._producer = None


async def _records(consumer: Any, partition: Any, start: int, end: int) -> AsyncIterator[Any]:
    """The records of a partition from offset ``start`` up to (not including) ``end``."""
    consumer.seek(partition, start)
    loop = asyncio.get_running_loop()
    stalled_at = loop.time() + READ_STALL_SECONDS
    while await consumer.position(partition) < end:
        batch = await consumer.getmany(partition, timeout_ms=1000, max_records=500)
        records: list[Any] = batch.get(partition, [])
        if not records:
            if loop.time() > stalled_at:
                raise TimeoutError(f"{partition.topic} sent nothing for {READ_STALL_SECONDS} s")
            continue
        stalled_at = loop.time() + READ_STALL_SECONDS
        for record in records:
            if record.offset >= end:
                return
            yield record


async def _handle(handle: Callable[[Event], Awaitable[None]], event: Event, durable: str) -> None:
    """Try an event a few times, as JetStream redelivers, then give up on it and move on."""
    for attempt in range(1, MAX_DELIVER + 1):
        try:
            await handle(event)
            return
        except Exception as error:
            log.warning("event handler failed", durable=durable, attempt=attempt, error=repr(error))
        if attempt < MAX_DELIVER:
            await asyncio.sleep(RETRY_SECONDS)
    log.error("event given up", durable=durable, subject=event.subject, sequence=event.sequence)


def _header(record: Any, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode()
    return None


def _msg_id(record: Any) -> str:
    # A message from elsewhere without an id is unique by its position.
    return _header(record, ID_HEADER) or f"@{record.offset}"


def _event(record: Any) -> Event:
    subject = _header(record, SUBJECT_HEADER) or record.topic
    time = datetime.fromtimestamp(record.timestamp / 1000, UTC)  # LogAppendTime: the broker's
    return Event(record.offset + 1, subject, json.loads(record.value), time)
