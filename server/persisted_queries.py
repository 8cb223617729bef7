"""Persisted queries on /graphql: Apollo's automatic persisted queries protocol and an
allowlist, as ASGI middleware in front of the Idempotency-Key middleware and the view.

A request naming ``extensions.persistedQuery {version: 1, sha256Hash}`` without a document
gets the stored one put in (``PersistedQueryNotFound`` when none is stored, and the client
sends it again with the document); with a document, the hash is checked and, in apq mode,
the document stored. The view, and the idempotency fingerprint, only ever see a request with
its document: for them a persisted query is an ordinary one. Hash-only GETs are what lets a
CDN cache answers, so GET answers say who may keep them (``Cache-Control``). The modes are
``FLIX_PERSISTED_QUERIES`` (``auth.persisted_queries.Mode``); docs/persisted_queries.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import structlog
from graphql import GraphQLError, parse
from redis.exceptions import RedisError
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.persisted_queries import Mode, PersistedQueryStore, document_hash, valid_hash
from core.errors import ErrorCode
from server.middleware import error_body, read_body, replaying
from server.request_context import session_token
from server.settings import Settings

log = structlog.get_logger("flix.persisted_queries")

GRAPHQL_RESPONSE = "application/graphql-response+json"
# The messages Apollo's clients match on (besides extensions.code) to retry with the document
# or to stop sending hashes.
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
NOT_SUPPORTED_MESSAGE = "PersistedQueryNotSupported"
PRIVATE = "private, no-store"


@dataclass(frozen=True)
class Refusal:
    message: str
    code: ErrorCode
    status: int  # for clients accepting application/graphql-response+json; 200 for the rest


@dataclass(frozen=True)
class Run:
    document: str | None  # the document to put in; None: the request goes on as it is


class PersistedQueries:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.mode = Mode(settings.persisted_queries)
        self.max_tokens = settings.max_tokens
        self.public_max_age = settings.persisted_query_public_max_age_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET":
            await self._get(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "application/json" not in headers.get("content-type", ""):
            await self.app(scope, receive, send)  # the view refuses or handles it
            return
        body = await read_body(receive)
        if body is None:  # the client went away mid-body
            return
        data = _json_object(body)
        if data is None:  # not a JSON object: the view answers it
            await self.app(scope, replaying(body, receive), send)
            return
        outcome = await self._resolve(scope, data.get("query"), data.get("extensions"))
        if isinstance(outcome, Refusal):
            await self._refuse(outcome, scope, receive, send)
            return
        if outcome.document is not None:
            body = json.dumps({**data, "query": outcome.document}).encode()
            scope = {**scope, "headers": _with_length(scope, len(body))}
        await self.app(scope, replaying(body, receive), send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        try:
            extensions = json.loads(params["extensions"]) if "extensions" in params else None
        except ValueError:
            extensions = None  # the view refuses the malformed parameter itself
        outcome = await self._resolve(scope, params.get("query"), extensions)
        if isinstance(outcome, Refusal):
            await self._refuse(outcome, scope, receive, send)
            return
        if outcome.document is not None:
            params = {**params, "query": outcome.document}
            scope = {**scope, "query_string": urlencode(params).encode()}
        if "query" not in params:  # not a GraphQL request (GraphiQL's page, say): as it is
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._cache_control(scope, send))

    async def _resolve(self, scope: Scope, query: object, extensions: object) -> Run | Refusal:
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            if self.mode is Mode.ALLOWLIST and isinstance(query, str):
                return await self._allowed(scope, query)
            return Run(None)
        if self.mode is Mode.OFF:
            return Refusal(NOT_SUPPORTED_MESSAGE, ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED, 400)
        sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            message = (
                "Unsupported persisted query: send extensions.persistedQuery as"
                " {version: 1, sha256Hash}."
            )
            return Refusal(message, ErrorCode.BAD_USER_INPUT, 400)
        if not valid_hash(sha256):
            message = "persistedQuery.sha256Hash must be 64 lower-case hex digits (SHA-256)."
            return Refusal(message, ErrorCode.BAD_USER_INPUT, 400)
        assert isinstance(sha256, str)
        if isinstance(query, str):
            if document_hash(query) != sha256:
                message = (
                    "The persistedQuery.sha256Hash does not match the query"
                    " (the SHA-256 of its UTF-8 text)."
                )
                return Refusal(message, ErrorCode.BAD_USER_INPUT, 400)
            if self.mode is Mode.ALLOWLIST:
                return await self._allowed(scope, query)
            return await self._register(scope, query)
        return await self._find(scope, sha256)

    async def _find(self, scope: Scope, sha256: str) -> Run | Refusal:
        try:
            found = await _store(scope).find(sha256, registered_by_clients=self.mode is Mode.APQ)
        except RedisError:
            log.exception("persisted query store unreachable")
            return _unavailable()
        if found is None:
            return Refusal(NOT_FOUND_MESSAGE, ErrorCode.PERSISTED_QUERY_NOT_FOUND, 404)
        return Run(found)

    async def _register(self, scope: Scope, query: str) -> Run | Refusal:
        """Keep a document a client sent with its hash, when it is one the view could run
        (it parses within the token limit): the view refuses the others, and the store
        keeps nothing it would not run. The body limit already bounds its size."""
        try:
            parse(query, no_location=True, max_tokens=self.max_tokens)
        except GraphQLError:
            return Run(None)
        try:
            await _store(scope).register_from_client(query)
        except RedisError:  # the request can still run; the next hash-only one re-registers
            log.exception("persisted query not stored")
        return Run(None)

    async def _allowed(self, scope: Scope, query: str) -> Run | Refusal:
        try:
            allowed = await _store(scope).is_allowed(document_hash(query))
        except RedisError:
            log.exception("persisted query store unreachable")
            return _unavailable()
        if allowed:
            return Run(None)
        message = (
            "Only registered documents run on this server (allowlist mode); "
            "register it with `flix persisted register`."
        )
        return Refusal(message, ErrorCode.PERSISTED_QUERY_NOT_ALLOWED, 403)

    async def _refuse(self, refusal: Refusal, scope: Scope, receive: Receive, send: Send) -> None:
        # Like the view's request errors: a 4xx for clients that read
        # application/graphql-response+json, a 200 for application/json ones. Never cached:
        # the document may be registered a moment later.
        accept = Headers(scope=scope).get("accept", "")
        strict = GRAPHQL_RESPONSE in accept
        response = JSONResponse(
            error_body(refusal.message, refusal.code),
            status_code=refusal.status if strict else 200,
            media_type=GRAPHQL_RESPONSE if strict else "application/json",
            headers={"cache-control": PRIVATE},
        )
        await response(scope, receive, send)

    def _cache_control(self, scope: Scope, send: Send) -> Send:
        """Who may keep a GET answer: any cache, for a while, when no session was presented
        and the answer is a clean 200 (then it is the same for everyone signed out); only
        the client (and not stored) otherwise. The answer is held to read its errors."""
        signed_in = session_token(HTTPConnection(scope)) is not None
        held: list[Message] = []

        async def send_with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start":
                held.append(message)
                return
            if message["type"] != "http.response.body" or not held:
                await send(message)
                return
            held.append(message)
            if message.get("more_body", False):
                return
            start, *bodies = held
            body = b"".join(m.get("body", b"") for m in bodies)
            public = not signed_in and start["status"] == 200 and _clean(body)
            headers = MutableHeaders(raw=list(start.get("headers", [])))
            headers["cache-control"] = (
                f"public, max-age={self.public_max_age}" if public else PRIVATE
            )
            headers.add_vary_header("Cookie")
            headers.add_vary_header("Authorization")
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        return send_with_cache_control


def _store(scope: Scope) -> PersistedQueryStore:
    return PersistedQueryStore(HTTPConnection(scope).app.state.stores.redis)


def _unavailable() -> Refusal:
    message = "Persisted queries cannot be looked up right now; retry later."
    return Refusal(message, ErrorCode.UNAVAILABLE, 503)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _clean(body: bytes) -> bool:
    """A GraphQL answer with data and no errors (a partial one may hold a rate limit)."""
    data = _json_object(body)
    return data is not None and not data.get("errors") and data.get("data") is not None


def _with_length(scope: Scope, length: int) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
    return [*headers, (b"content-length", str(length).encode())]
