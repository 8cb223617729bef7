"""The event log on NATS JetStream: one stream per ``Stream``, subjects ``<stream>.<topic>``.

JetStream drops a message whose ``Nats-Msg-Id`` it saw inside the stream's duplicate window,
so a retried publish is stored once; stream sequences start at 1 and skip nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError
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
from datasources.events.outbox import OutboxPublisher, cancelling, keep_consuming, log
from datasources.events.sealing import PayloadSealer

REDELIVER_SECONDS = 5
# How long one pull waits for events: short, since a consumer being stopped can be stuck in
# it that long (see consume), and an idle pull costs the server next to nothing.
FETCH_SECONDS = 1.0


async def _handled(
    messages: list[Msg], handle: Callable[[Event], Awaitable[None]], durable: str
) -> None:
    """Each message to ``handle`` in order: acknowledged once handled, else redelivered
    later. The acks go together (a stop included), in one write to the broker rather than
    one per event between two handlers' waits."""
    handled: list[Msg] = []
    try:
        for message in messages:
            event = Event(
                message.metadata.sequence.stream, message.subject, json.loads(message.data)
            )
            try:
                await handle(event)
            except Exception as error:
                log.warning("event handler failed", durable=durable, error=repr(error))
                await message.nak(delay=REDELIVER_SECONDS)
            else:
                handled.append(message)
    finally:
        for message in handled:
            await message.ack()


class NatsEventLog(OutboxPublisher):
    def __init__(
        self,
        broker: NATS,
        engine: AsyncEngine,
        prefix: str = "",
        sealer: PayloadSealer | None = None,
    ) -> None:
        super().__init__(engine, prefix, sealer)
        self._broker = broker
        self._js = broker.jetstream(timeout=PUBLISH_TIMEOUT_SECONDS)

    @classmethod
    async def connect(
        cls, url: str, engine: AsyncEngine, prefix: str = "", sealer: PayloadSealer | None = None
    ) -> NatsEventLog:
        # Keep reconnecting for ever: a broker outage must not take the API down with it.
        broker = await nats.connect(
            url, max_reconnect_attempts=-1, reconnect_time_wait=1, connect_timeout=5
        )
        return cls(broker, engine, prefix, sealer)

    @property
    def broker(self) -> Broker:
        return "nats"

    async def ensure_streams(self) -> None:
        for stream, max_age in RETENTION.items():
            name = self.stream_name(stream)
            config = StreamConfig(
                name=name,
                subjects=[self.subject(stream, ">")],
                max_age=max_age.total_seconds(),
                duplicate_window=DUPLICATE_WINDOW.total_seconds(),
            )
            try:
                await self._js.stream_info(name)
                await self._js.update_stream(config)
            except NotFoundError:
                await self._js.add_stream(config)

    async def delete_streams(self) -> None:
        for stream in Stream:
            with contextlib.suppress(NotFoundError):
                await self._js.delete_stream(self.stream_name(stream))

    async def _send(self, subject: str, payload: Mapping[str, Any], msg_id: str) -> None:
        await self._js.publish(
            subject,
            json.dumps(payload, separators=(",", ":")).encode(),
            headers={"Nats-Msg-Id": msg_id},
        )

    async def consume(
        self,
        stream: Stream,
        durable: str,
        handle: Callable[[Event], Awaitable[None]],
        batch: int = 100,
    ) -> None:
        # A durable pull consumer: several workers share it and each event goes to one of them.
        handle = self._opening(handle)
        name = self.stream_name(stream)
        config = ConsumerConfig(max_deliver=MAX_DELIVER, ack_wait=30)

        async def session() -> None:
            subscription = await self._js.pull_subscribe(
                self.subject(stream, ">"),
                durable=f"{self._prefix}{durable}",
                stream=name,
                config=config,
            )
            try:
                while True:
                    try:
                        messages = await subscription.fetch(batch, timeout=FETCH_SECONDS)
                    except TimeoutError:
                        messages = []
                    # nats-py swallows a cancellation that lands while it publishes the pull
                    # request, then waits out the fetch: honour it once the fetch returns.
                    if cancelling():
                        raise asyncio.CancelledError from None
                    await _handled(messages, handle, durable)
            finally:
                # Withdraw the pending pull request: else the server hands the next events to
                # this gone session, and the next one gets them only after ack_wait.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(subscription.unsubscribe(), 2)

        await keep_consuming(durable, session)

    async def read(
        self, stream: Stream, *, since: datetime | None = None, from_sequence: int | None = None
    ) -> AsyncIterator[Event]:
        name = self.stream_name(stream)
        last = (await self._js.stream_info(name)).state.last_seq
        if since is not None:
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since
            )
        elif from_sequence is not None:
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=from_sequence
            )
        else:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        subscription = await self._js.pull_subscribe(
            self.subject(stream, ">"), stream=name, config=config
        )
        try:
            while True:
                try:
                    messages = await subscription.fetch(256, timeout=1)
                except TimeoutError:
                    return  # nothing left to deliver
                for message in messages:
                    await message.ack()
                    sequence = message.metadata.sequence.stream
                    payload = json.loads(message.data)
                    yield Event(sequence, message.subject, payload, message.metadata.timestamp)
                    if sequence >= last:
                        return
        finally:
            await subscription.unsubscribe()

    async def trim(self, stream: Stream, up_to_sequence: int) -> None:
        # A purge with ``seq`` drops the messages below it and keeps the rest as they are.
        await self._js.purge_stream(self.stream_name(stream), seq=up_to_sequence + 1)

    async def first_sequence(self, stream: Stream) -> int:
        state = (await self._js.stream_info(self.stream_name(stream))).state
        return int(state.first_seq) if state.messages else int(state.last_seq) + 1

    async def ready(self) -> bool:
        await self._broker.flush(timeout=2)
        return bool(self._broker.is_connected)

    async def close(self) -> None:
        # Shutting down during a broker outage must still release everything else.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._broker.drain(), 5)
        await self._broker.close()
