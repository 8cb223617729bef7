"""A lean HTTP/1.1 client for a load phase: JSON POSTs over a few keep-alive connections.

httpx costs the bench about 3 ms of CPU per request; on a two-core machine that starves the
server it measures. This sends a pre-encoded head (Host, Content-Type, Accept, Authorization,
Content-Length) and the JSON body in one write and reads back the status line, the headers and
a Content-Length or chunked body; nothing else (no redirects, cookies, compression, proxies).

One connection per concurrency slot, to loopback only, opened on first use and again after a
transport error, a timeout or ``Connection: close``. Every failure is a ``WireError`` whose
class name says what went wrong (``ConnectError``, ``ReadError``, ``RequestTimeout``,
``ProtocolError``), as httpx's do, so that a bench records ``f"{type(e).__name__}: {e}"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from bench.harness import require_loopback

MAX_HEAD_BYTES = 64 * 1024  # status line and headers; the StreamReader's own limit


class WireError(Exception):
    """A request that got no complete answer."""


class ConnectError(WireError):
    """The connection could not be opened (the server is down, say)."""


class ReadError(WireError):
    """The connection broke, or the server closed it, before the answer was complete."""


class RequestTimeout(WireError):
    """No complete answer within the timeout."""


class ProtocolError(WireError):
    """An answer that is not HTTP/1.1 as this client reads it."""


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @property
    def usable(self) -> bool:
        """Not closed by either side (a server closes idle connections after a while)."""
        return not (self.writer.is_closing() or self.reader.at_eof())

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send ``request`` (head and body); the answer's status, body and whether the
        connection can carry another request."""
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:100]!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise ProtocolError(f"malformed header line: {line[:100]!r}")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
        status = int(rest[:3])
        if status in (204, 304):  # never a body
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._chunked()
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:  # the body runs to the end of the connection
            body, keep_alive = await self.reader.read(), False
        return status, body, keep_alive

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)  # chunk extensions ignored
            if size == 0:
                break
            parts.append((await self.reader.readexactly(size + 2))[:-2])
        while await self.reader.readuntil(b"\r\n") != b"\r\n":  # trailers, ignored
            pass
        return b"".join(parts)


class JsonPoster:
    """POSTs of JSON documents to one loopback HTTP/1.1 server over ``size`` connections."""

    def __init__(self, url: str, size: int, timeout: float) -> None:
        parts = urlsplit(require_loopback(url))
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"an http:// loopback URL is needed, not {url}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self._authority = f"{self.host}:{self.port}"
        self._idle: asyncio.LifoQueue[Connection | None] = asyncio.LifoQueue()
        for _ in range(size):
            self._idle.put_nowait(None)  # a slot whose connection is opened on first use

    async def _open(self) -> Connection:
        try:
            reader, writer = await asyncio.open_connection(
                self.host, self.port, limit=MAX_HEAD_BYTES
            )
        except OSError as error:
            raise ConnectError(f"{type(error).__name__}: {error}") from error
        return Connection(reader, writer)

    def head(self, path: str, token: str | None = None) -> bytes:
        """The fixed part of a request's head: all but Content-Length and the blank line."""
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {self._authority}",
            "Content-Type: application/json",
            "Accept: application/json",
        ]
        if token is not None:
            lines.append(f"Authorization: Bearer {token}")
        return ("\r\n".join(lines) + "\r\n").encode("latin-1")

    async def post(self, head: bytes, document: Any) -> tuple[int, Any]:
        """``document`` as JSON after ``head`` (from ``head()``): the answer's status and its
        JSON body (ValueError when it is not JSON)."""
        body = json.dumps(document, separators=(",", ":")).encode()
        request = b"%bContent-Length: %d\r\n\r\n%b" % (head, len(body), body)
        connection = await self._idle.get()  # one is free whenever fewer than size are out
        keep: Connection | None = None
        try:
            async with asyncio.timeout(self.timeout):  # connecting included
                if connection is not None and not connection.usable:
                    connection.close()
                    connection = None
                if connection is None:
                    connection = await self._open()
                status, answer, keep_alive = await self._exchange(connection, request)
            if keep_alive:
                keep = connection
        except TimeoutError:
            raise RequestTimeout(f"no answer within {self.timeout} s") from None
        finally:
            if keep is None and connection is not None:
                connection.close()  # never reused: an answer may still be on its way
            self._idle.put_nowait(keep)
        return status, json.loads(answer)

    @staticmethod
    async def _exchange(connection: Connection, request: bytes) -> tuple[int, bytes, bool]:
        """``Connection.exchange``, its failures as WireErrors."""
        try:
            return await connection.exchange(request)
        except asyncio.IncompleteReadError as error:
            raise ReadError(
                f"the server closed the connection after {len(error.partial)} bytes"
            ) from None
        except asyncio.LimitOverrunError:
            raise ProtocolError(f"a head longer than {MAX_HEAD_BYTES} bytes") from None
        except ValueError as error:  # a Content-Length or a chunk size that is no number
            raise ProtocolError(f"{type(error).__name__}: {error}") from None
        except OSError as error:  # reset, broken pipe
            raise ReadError(f"{type(error).__name__}: {error}") from None

    async def aclose(self) -> None:
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            if connection is not None:
                connection.close()
                with contextlib.suppress(OSError):
                    await connection.writer.wait_closed()


@contextlib.asynccontextmanager
async def json_poster(url: str, size: int, timeout_s: float) -> AsyncIterator[JsonPoster]:
    """A ``JsonPoster``, its connections closed on the way out."""
    poster = JsonPoster(url, size, timeout_s)
    try:
        yield poster
    finally:
        await poster.aclose()
