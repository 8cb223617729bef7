"""The /graphql endpoint: strawberry's ASGI view with Flix's per-request context."""

from __future__ import annotations

import json
from typing import Any

import structlog
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from core.errors import ErrorCode
from resolvers.context import Context
from schema.errors import classify
from server.middleware import BodyTooLarge, error_body
from server.request_context import ContextFactory

log = structlog.get_logger("flix.graphql")


class FlixGraphQL(GraphQL[Context, None]):
    def __init__(self, *args: Any, contexts: ContextFactory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contexts = contexts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:  # unparsable body, wrong method: answer in GraphQL's shape
            response = JSONResponse(
                error_body(error.reason, ErrorCode.BAD_USER_INPUT), status_code=error.status_code
            )
        except BodyTooLarge:
            raise  # BodySizeLimit answers it
        except Exception:  # building the context failed: a store is down, most likely
            request_id = scope.get("state", {}).get("request_id", "-")
            log.exception("request failed before execution", request_id=request_id)
            message = f"Service unavailable. Quote request id {request_id} when reporting it."
            response = JSONResponse(error_body(message, ErrorCode.INTERNAL), status_code=503)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """A request body is a JSON object (an array when batching, which strawberry then
        refuses with a 400 while batching is off), strictly UTF-8: anything else is the
        client's mistake, a 400 in GraphQL's shape, not a failure of ours."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            decoded = json.loads(text)
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not valid UTF-8.") from None
        except RecursionError:  # nesting deep enough to exhaust the parser's stack
            raise HTTPException(400, "The request body's JSON is nested too deeply.") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return decoded

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            request_id = request.scope.get("state", {}).get("request_id", "-")
            result.errors = [classify(error, request_id) for error in result.errors]
        return await super().process_result(request, result)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return await self.contexts.build(
            request, response if isinstance(response, Response) else None
        )
