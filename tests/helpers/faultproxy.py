"""A small TCP fault proxy for tests (toxiproxy is not installable here).

Put it between the app and PostgreSQL, Redis or NATS, then inject faults:
``latency(seconds)``, ``blackhole()`` (connections hang: timeouts), ``reset()`` (every
connection is cut with a RST and new ones are refused the same way), ``heal()``.
It runs its own event loop in a thread, so sync tests and the app's loop can both use it.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from concurrent.futures import Future
from enum import Enum


class Mode(Enum):
    PASS = "pass"
    BLACKHOLE = "blackhole"
    RESET = "reset"


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0, which makes the kernel send a RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode = Mode.PASS
        self.delay = 0.0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._call(self._start()).result(10)
        return self

    def __exit__(self, *_: object) -> None:
        self._call(self._stop()).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _call(self, coroutine: object) -> Future[None]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)  # type: ignore[arg-type]

    # Faults.

    def latency(self, seconds: float) -> None:
        self.delay = seconds

    def blackhole(self) -> None:
        self.mode = Mode.BLACKHOLE

    def reset(self) -> None:
        self.mode = Mode.RESET
        self._call(self._cut_all()).result(10)

    def heal(self) -> None:
        self.mode = Mode.PASS
        self.delay = 0.0

    # Plumbing.

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        await self._cut_all()
        if self._server is not None:
            self._server.close()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _cut_all(self) -> None:
        for writer in list(self._writers):
            _rst(writer)
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is Mode.RESET:
            _rst(writer)
            return
        self._writers.add(writer)
        if self.mode is Mode.BLACKHOLE:
            while await reader.read(65536):  # swallow everything, answer nothing
                pass
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            _rst(writer)
            return
        self._writers.add(up_writer)
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.mode is Mode.BLACKHOLE:
                    continue
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()
