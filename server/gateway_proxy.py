"""``/graphql`` in federated mode: each request streamed to Hive Gateway, its answer back.

The web client posts to same-origin ``/graphql`` whichever way the server runs. Under
``flix serve --federated`` that route hands the request to the gateway as it came (cookies,
bearer token, Idempotency-Key, body) and the gateway's answer to the client as it went
(status, Set-Cookie, Idempotent-Replayed, Retry-After, the RateLimit fields, the body still
compressed if it was). The gateway calls the subgraphs back at ``/subgraphs/<name>/graphql``
on this server. It listens on loopback only and believes what this proxy says of the client:
X-Forwarded-For is the address this server saw (so per-IP limits still count the client, not
the proxy), X-Forwarded-Proto its scheme (so the session cookie stays Secure over HTTPS),
X-Request-ID this request's id (so a masked error quotes the id the client was given).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import structlog
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from core.errors import ErrorCode
from server.middleware import error_body

log = structlog.get_logger("flix.gateway_proxy")

# Hop-by-hop fields (RFC 9110 §7.6.1) belong to one connection, not to the message.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Said anew by this proxy, never passed on from the client.
_STATED_HERE = frozenset(
    {b"host", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-request-id"}
)
# Added to every answer by this server (uvicorn, RequestContext): the gateway's are dropped.
_ADDED_HERE = frozenset({b"date", b"server", b"x-request-id"})
CONNECT_TIMEOUT_S = 2.0
# Beyond the operation's own deadline, which the subgraphs enforce: the gateway's hops.
DEADLINE_MARGIN_S = 5.0


class GatewayProxy:
    """An ASGI app forwarding every request to ``gateway_url``'s ``/graphql``."""

    def __init__(self, gateway_url: str, operation_deadline_seconds: float) -> None:
        self.url = gateway_url.rstrip("/") + "/graphql"
        timeout = httpx.Timeout(
            operation_deadline_seconds + DEADLINE_MARGIN_S, connect=CONNECT_TIMEOUT_S
        )
        # One pool of connections to the gateway, kept alive across requests.
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        upstream_request = self.client.build_request(
            scope["method"],
            self.url,
            params=scope.get("query_string", b"").decode("latin-1"),
            headers=_request_headers(scope),
            content=_body(receive) if _has_body(scope) else None,
        )
        try:
            upstream = await self.client.send(upstream_request, stream=True)
        except httpx.TimeoutException:
            log.warning("the gateway did not answer in time")
            message = "The federation gateway did not answer in time. Retry later."
            await JSONResponse(error_body(message, ErrorCode.TIMEOUT), 504)(scope, receive, send)
            return
        except httpx.TransportError as error:
            log.warning("the gateway is unreachable", error=repr(error))
            message = "The federation gateway is unavailable. Retry later."
            response = JSONResponse(error_body(message, ErrorCode.UNAVAILABLE), 503)
            await response(scope, receive, send)
            return
        try:
            headers = [
                (name.lower(), value)
                for name, value in upstream.headers.raw
                if name.lower() not in _HOP_BY_HOP | _ADDED_HERE
            ]
            await send(
                {"type": "http.response.start", "status": upstream.status_code, "headers": headers}
            )
            # Raw: a gzipped answer goes on gzipped, with its own Content-Encoding and length.
            async for chunk in upstream.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await upstream.aclose()


def _request_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    skipped = _HOP_BY_HOP | _STATED_HERE
    headers = [(name, value) for name, value in scope["headers"] if name not in skipped]
    # uvicorn already took X-Forwarded-For from a trusted proxy in front of us, if any.
    client = scope.get("client")
    request_id = scope.get("state", {}).get("request_id")
    host = Headers(scope=scope).get("host")
    headers.append((b"x-forwarded-for", (client[0] if client else "unknown").encode("latin-1")))
    headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
    if host:
        headers.append((b"x-forwarded-host", host.encode("latin-1")))
    if request_id:
        headers.append((b"x-request-id", str(request_id).encode("latin-1")))
    return headers


def _has_body(scope: Scope) -> bool:
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope["headers"])


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as it arrives, chunk by chunk (BodySizeLimit still counts it)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
