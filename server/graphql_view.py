"""The /graphql endpoint: strawberry's ASGI view with Flix's per-request context, each
operation bounded by its deadline and its client (``server/operation_bounds.py``), and each
answer telling its cost and its client's rate limits."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import structlog
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.execution import SubscriptionExecutionResult

from core.errors import ErrorCode, FlixError, RateLimited
from resolvers.context import Context
from schema.errors import classify
from server.middleware import BodyTooLarge, error_body
from server.operation_bounds import ClientGone, bounded
from server.rate_limit_headers import rate_limit_headers
from server.request_context import ContextFactory

log = structlog.get_logger("flix.graphql")

CANCELLED = Counter(
    "flix_graphql_cancelled",
    "Operations cancelled, by reason (deadline, client_gone).",
    ["reason"],
)


_DEADLINE = "flix_deadline"  # in the request's scope state: time.monotonic() it ends at


class OperationTimedOut(FlixError):
    code = ErrorCode.TIMEOUT


def _answer(message: str, code: ErrorCode, status: int) -> JSONResponse:
    # An HTTP-level refusal, before any GraphQL request was read: errors only, as the
    # middleware's are (413); a GraphQL answer is what carries extensions.cost.
    return JSONResponse(error_body(message, code), status)


def _cancelled(message: str) -> ExecutionResult:
    error = OperationTimedOut(message)
    return ExecutionResult(data=None, errors=[GraphQLError(message, original_error=error)])


def _only_limited(result: ExecutionResult) -> int | None:
    """The longest ``retryAfterSeconds`` when rate limits are all the answer holds (no data
    at all, every error a limit): then the request as a whole was refused, a 429."""
    errors = result.errors or []
    limits = [e.original_error for e in errors if isinstance(e.original_error, RateLimited)]
    data = result.data or {}
    if not limits or len(limits) < len(errors) or any(v is not None for v in data.values()):
        return None
    return max(limit.retry_after_seconds for limit in limits)


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
            response = _answer(error.reason, ErrorCode.BAD_USER_INPUT, error.status_code)
        except BodyTooLarge:
            raise  # BodySizeLimit answers it
        except TimeoutError:  # building the context outlasted the deadline: a store hangs
            CANCELLED.labels("deadline").inc()
            log.warning("request passed its deadline before execution")
            message = "The request passed its deadline before it could run. Retry later."
            response = _answer(message, ErrorCode.TIMEOUT, 503)
        except Exception:  # building the context failed: a store is down, most likely
            request_id = scope.get("state", {}).get("request_id", "-")
            log.exception("request failed before execution", request_id=request_id)
            message = f"Service unavailable. Quote request id {request_id} when reporting it."
            response = _answer(message, ErrorCode.INTERNAL, 503)
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

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        deadline = self.contexts.settings.operation_deadline_seconds
        left = request.scope["state"][_DEADLINE] - time.monotonic()
        operation = super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
        try:
            result = await bounded(operation, deadline_seconds=left, receive=request.receive)
        except TimeoutError:
            CANCELLED.labels("deadline").inc()
            log.warning("operation passed its deadline", request_id=context.request_id)
            result = _cancelled(f"The operation passed its deadline of {deadline:g} seconds.")
        except ClientGone:
            CANCELLED.labels("client_gone").inc()
            log.info("client went away; operation cancelled", request_id=context.request_id)
            result = _cancelled("The client went away before the answer was ready.")
        sub_response.headers.update(rate_limit_headers(context.rate_limits.decisions))
        if isinstance(result, ExecutionResult) and (retry_after := _only_limited(result)):
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(retry_after)
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            request_id = request.scope.get("state", {}).get("request_id", "-")
            result.errors = [classify(error, request_id) for error in result.errors]
        response = await super().process_result(request, result)
        # Every answer says what its document cost; 0 when it never got to be priced.
        extensions = response.get("extensions") or {}
        response["extensions"] = {**extensions, "cost": extensions.get("cost", 0)}
        return response

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        # The deadline runs from here: building the context (the session, the viewer) is
        # part of the request's time, and a store that hangs must not stall it unbounded.
        deadline = self.contexts.settings.operation_deadline_seconds
        request.scope.setdefault("state", {})[_DEADLINE] = time.monotonic() + deadline
        async with asyncio.timeout(deadline):
            return await self.contexts.build(
                request, response if isinstance(response, Response) else None
            )
