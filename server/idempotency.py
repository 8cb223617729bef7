"""The ``Idempotency-Key`` header (IETF draft-ietf-httpapi-idempotency-key-header) on
GraphQL mutations: ASGI middleware around the /graphql view.

A POSTed mutation that carries the header runs once per key and subject (the signed-in
account, else the client's IP): its answer is stored for 24 hours and a retry gets it back
byte for byte, marked ``Idempotent-Replayed: true``. The same key with another document,
variables or operation name is a 422; a retry while the first is still running is a 409.
Queries, GET requests and bodies the view will refuse anyway pass through untouched, and a
request without the header is not looked at. docs/idempotency.md has the rules and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import structlog
from graphql import GraphQLError, OperationType, parse
from graphql.utilities import get_operation_ast
from redis.exceptions import RedisError
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.idempotency import (
    Claim,
    IdempotencyStore,
    InFlight,
    InvalidKey,
    Mismatch,
    Replay,
    StoredResponse,
    fingerprint,
    in_flight_seconds,
    parse_key,
)
from auth.sessions import SessionStore
from core.errors import ErrorCode
from server.middleware import error_body, read_body, replaying
from server.request_context import ContextFactory, session_token

log = structlog.get_logger("flix.idempotency")

REPLAYED_HEADER = "idempotent-replayed"
# An answer larger than this is sent but not stored (the key is released): mutations answer
# a few hundred bytes, and the store must stay bounded whatever a client asks for.
MAX_STORED_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class KeyedMutation:
    query: str
    variables: Mapping[str, Any] | None
    operation_name: str | None


def keyed_mutation(content_type: str, body: bytes, max_tokens: int) -> KeyedMutation | None:
    """The request, if it is a mutation the view will run; None for queries and for bodies
    the view refuses itself (not JSON, not an object, a document that does not parse)."""
    if "application/json" not in content_type:
        return None
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(data, dict):
        return None
    query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
    if not (
        isinstance(query, str)
        and isinstance(variables, dict | None)
        and isinstance(name, str | None)
    ):
        return None
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return None
    operation = get_operation_ast(document, name)
    if operation is None or operation.operation != OperationType.MUTATION:
        return None
    return KeyedMutation(query, variables, name)


def _storable(status: int, headers: Headers, body: bytes) -> bool:
    """Every answer the view gave is stored, errors too (the draft: the first response,
    whatever it was), but not: 5xx and 429 (nothing ran, or not to the end: a retry must be
    able to run), answers that set a cookie (signing in or out: credentials stay out of this
    store), and oversized ones."""
    if status >= 500 or status == 429:
        return False
    return "set-cookie" not in headers and len(body) <= MAX_STORED_BODY_BYTES


class IdempotencyKeys:
    def __init__(self, app: ASGIApp, contexts: ContextFactory) -> None:
        self.app = app
        self.contexts = contexts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        keyed = scope["type"] == "http" and scope["method"] == "POST"
        headers = Headers(scope=scope)
        if not keyed or "idempotency-key" not in headers:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:  # the client went away mid-body: no one to answer
            return
        replaying_receive = replaying(body, receive)
        mutation = keyed_mutation(
            headers.get("content-type", ""), body, self.contexts.settings.max_tokens
        )
        if mutation is None:  # queries ignore the header
            await self.app(scope, replaying_receive, send)
            return
        try:
            key = parse_key(headers.getlist("idempotency-key"))
        except InvalidKey as error:
            await _answer(str(error), ErrorCode.BAD_USER_INPUT, 400)(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        store = IdempotencyStore(
            connection.app.state.stores.redis,
            in_flight_seconds=in_flight_seconds(self.contexts.settings.operation_deadline_seconds),
        )
        request_fingerprint = fingerprint(
            mutation.query, mutation.variables, mutation.operation_name
        )
        try:
            subject = await self._subject(connection)
            outcome = await store.claim(subject, key, request_fingerprint)
        except RedisError:
            log.exception("idempotency store unreachable")
            message = "Idempotency keys cannot be checked right now; retry with the same key."
            await _answer(message, ErrorCode.UNAVAILABLE, 503)(scope, receive, send)
            return
        match outcome:
            case Replay(stored):
                await _replay(stored)(scope, receive, send)
            case InFlight():
                message = "A request with this Idempotency-Key is still running; retry shortly."
                busy = _answer(message, ErrorCode.CONFLICT, 409)
                busy.headers["retry-after"] = "1"
                await busy(scope, receive, send)
            case Mismatch():
                message = (
                    "This Idempotency-Key was used for a different request (document, "
                    "variables or operation name); use a new key for a new request."
                )
                await _answer(message, ErrorCode.BAD_USER_INPUT, 422)(scope, receive, send)
            case Claim() as claim:
                await self._run_once(claim, store, scope, replaying_receive, send)

    async def _subject(self, connection: HTTPConnection) -> str:
        """Whose keys these are: the session's account, else (signed out) the client's IP."""
        token = session_token(connection)
        if token:
            settings = self.contexts.settings
            sessions = SessionStore(
                connection.app.state.stores.redis,
                settings.session_ttl_seconds,
                self.contexts.recent,
            )
            session = await sessions.get(token)
            if session is not None:
                return f"account:{session.account_id}"
        return f"ip:{connection.client.host if connection.client else 'unknown'}"

    async def _run_once(
        self, claim: Claim, store: IdempotencyStore, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run the request, store its answer, then send it: once the client has an answer, a
        retry finds it stored, never in flight."""
        messages: list[Message] = []

        async def hold(message: Message) -> None:
            messages.append(message)

        try:
            await self.app(scope, receive, hold)
        except BaseException:
            with anyio.CancelScope(shield=True):  # give the key up even when cancelled
                await _release_quietly(store, claim)
            raise
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        if start is None:  # the view answered nothing (the client had gone)
            await _release_quietly(store, claim)
            return
        response_headers = Headers(raw=start.get("headers", []))
        body = b"".join(
            message.get("body", b"")
            for message in messages
            if message["type"] == "http.response.body"
        )
        try:
            if _storable(start["status"], response_headers, body):
                stored = StoredResponse(
                    start["status"], response_headers.get("content-type", ""), body
                )
                await store.complete(claim, stored)
            else:
                await store.release(claim)
        except RedisError:  # the answer is real: send it; the marker expires on its own
            log.exception("idempotency record not stored")
        for message in messages:
            await send(message)


async def _release_quietly(store: IdempotencyStore, claim: Claim) -> None:
    try:
        await store.release(claim)
    except RedisError:
        log.exception("idempotency claim not released")


def _answer(message: str, code: ErrorCode, status: int) -> Response:
    return JSONResponse(error_body(message, code), status_code=status)


def _replay(stored: StoredResponse) -> Response:
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=None,
        headers={"content-type": stored.content_type, REPLAYED_HEADER: "true"},
    )
