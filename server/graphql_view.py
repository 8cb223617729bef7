"""The /graphql endpoint: strawberry's ASGI view with Flix's per-request context, each
operation bounded by its deadline and its client (``server/operation_bounds.py``), each
answer telling its cost and its client's rate limits, in the media type and with the status
the GraphQL over HTTP spec asks for (``server/graphql_media.py``), and GraphiQL from the
project's own build for a browser (``server/graphiql_page.py``)."""

from __future__ import annotations

import asyncio
import json
import math
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
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import SubscriptionExecutionResult

from auth.rate_policies import Category
from core.errors import ErrorCode, FlixError, RateLimited
from datasources.outages import is_outage
from resolvers.context import Context
from resolvers.experiments import expose_again
from resolvers.personalization.homepage import page_inputs, rendered_fully
from schema.errors import classify
from schema.viewing import heartbeat_plan
from schema.viewing.heartbeat_plan import HeartbeatPlan, HeartbeatPlans
from server import compression
from server.graphiql_page import graphiql_page
from server.graphql_media import (
    CONTENT_TYPES,
    GRAPHQL_RESPONSE,
    is_request_error,
    negotiate,
    request_error_status,
)
from server.homepage_bodies import (
    OUTCOMES,
    Body,
    EncodedData,
    HomepageBodies,
    body_key,
    homepage_fields,
)
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


# In the request's scope state: the time.monotonic() the request's deadline ends at, the
# media type the answer goes out as, and the status a request error is answered with.
_DEADLINE = "flix_deadline"
_MEDIA_TYPE = "flix_media_type"
_REQUEST_ERROR = "flix_request_error"
# The key of the finished homepage body the answer is (a hit) or was just kept as (a miss).
_BODY_KEY = "flix_homepage_body"


class MutationOverGet(HTTPException):
    """GET is for queries only (GraphQL over HTTP: a mutation over GET is a 405)."""


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


def _labelled(response: Response, media_type: str | None, state: dict[str, Any]) -> Response:
    """The answer in its negotiated media type, a request error with its 4xx/5xx under
    application/graphql-response+json; GraphiQL's page and refusals made before any
    negotiation (406) keep their own."""
    if media_type != GRAPHQL_RESPONSE:
        return response
    if not response.headers.get("content-type", "").startswith("application/json"):
        return response
    response.headers["content-type"] = CONTENT_TYPES[GRAPHQL_RESPONSE]
    if response.status_code == 200 and (status := state.get(_REQUEST_ERROR)):
        response.status_code = status
    return response


def _failed_before_execution(error: Exception, state: dict[str, Any]) -> Response:
    """The answer when the request's context could not be built: past the request's
    deadline (TIMEOUT), a store away or past its own timeout (UNAVAILABLE), else a fault of
    ours (INTERNAL, logged, with the request id)."""
    request_id = state.get("request_id", "-")
    if isinstance(error, TimeoutError) and time.monotonic() >= state.get(_DEADLINE, math.inf):
        CANCELLED.labels("deadline").inc()
        log.warning("request passed its deadline before execution", request_id=request_id)
        message = "The request passed its deadline before it could run. Retry later."
        return _answer(message, ErrorCode.TIMEOUT, 503)
    if is_outage(error):
        log.warning("a store is unavailable", request_id=request_id, error=repr(error))
        message = "A service this needs is unavailable right now; retry shortly."
        return _answer(message, ErrorCode.UNAVAILABLE, 503)
    log.exception("request failed before execution", request_id=request_id)
    message = f"Service unavailable. Quote request id {request_id} when reporting it."
    return _answer(message, ErrorCode.INTERNAL, 503)


def _encoded(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


async def _charged(context: Context, body: Body) -> bool:
    """Charge a hit what its document costs, as execution would (its cost and each root
    field's BROWSE limit, in one round trip); False when a limit refuses it: the document
    then runs as usual and answers the refusal (refused requests are not recorded, so it
    is charged once; a cost admitted before a refused field is charged twice, within a
    budget the client has already spent)."""
    limits = context.rate_limits
    try:
        await limits.charge_document(body.cost, [(key, Category.BROWSE) for key in body.fields])
        for key in body.fields:
            await limits.take(Category.BROWSE, field_key=key)
    except FlixError:  # RATE_LIMITED, or UNAVAILABLE where the limiter fails closed
        return False
    return True


class FlixGraphQL(GraphQL[Context, None]):
    def __init__(self, *args: Any, contexts: ContextFactory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contexts = contexts
        self.bodies = HomepageBodies(contexts.settings.homepage_body_seconds)
        self.heartbeats = HeartbeatPlans()
        assert isinstance(self.schema, Schema)
        self.graphql_schema = self.schema._schema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        state = scope.setdefault("state", {})
        media_type = state[_MEDIA_TYPE] = negotiate(request.headers.get("accept"))
        if media_type is None and not self.should_render_graphql_ide(
            self.request_adapter_class(request)
        ):
            message = f"The Accept header allows neither {GRAPHQL_RESPONSE} nor application/json."
            refusal = _answer(message, ErrorCode.BAD_USER_INPUT, 406)
            refusal.headers.add_vary_header("accept")
            await refusal(scope, receive, send)
            return
        try:
            response = await self.run(request)
        except HTTPException as error:  # unparsable body, wrong method: answer in GraphQL's shape
            response = _answer(error.reason, ErrorCode.BAD_USER_INPUT, error.status_code)
            if isinstance(error, MutationOverGet):
                response.headers["allow"] = "POST"
        except BodyTooLarge:
            raise  # BodySizeLimit answers it
        except Exception as error:  # building the context failed: a store, most likely
            response = _failed_before_execution(error, state)
        # The type, the status and, for a browser's GET, the page itself depend on Accept:
        # a shared cache (a CDN in front of GET queries) must key on it.
        response.headers.add_vary_header("accept")
        if (key := state.get(_BODY_KEY)) is not None:
            self._precompressed(request, response, key)
        await _labelled(response, media_type, state)(scope, receive, send)

    def _precompressed(self, request: Request, response: Response, key: str) -> None:
        """A finished homepage body's answer, gzipped once per body: when it is kept (the
        miss would be compressed anyway), and reused by its hits (GZipMiddleware passes an
        encoded answer through as it is)."""
        if not compression.accepts_gzip(request) or len(response.body) < compression.MINIMUM_BYTES:
            return
        response.body = self.bodies.gzipped(key, bytes(response.body))
        response.headers["content-encoding"] = "gzip"
        response.headers["content-length"] = str(len(response.body))
        response.headers.add_vary_header("accept-encoding")

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page()

    def encode_json(self, data: object) -> str | bytes:
        """A homepage served from its finished body: its ``data`` bytes as they were."""
        if isinstance(data, dict) and isinstance(encoded := data.get("data"), EncodedData):
            rest = {k: v for k, v in data.items() if k != "data"}
            tail = _encoded(rest)[1:] if rest else b"}"
            return b'{"data":' + encoded.encoded + (b"," + tail if rest else tail)
        return super().encode_json(data)

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
        if (planned := self._heartbeat_plan(request_adapter, request_data)) is not None:
            return await self._execute(
                request, request_adapter, request_data, context, root_value, sub_response, planned
            )
        fields = (
            homepage_fields(request_data.query, request_data.operation_name)
            if isinstance(request_data, GraphQLRequestData)
            and isinstance(request_data.query, str)
            and isinstance(request_data.operation_name, str | None)
            else ()
        )
        if not fields:
            result = await self._execute(
                request, request_adapter, request_data, context, root_value, sub_response
            )
            self._learn_heartbeat(request_adapter, request_data, result)
            return result
        assert isinstance(request_data, GraphQLRequestData)
        inputs = await page_inputs(context)
        if inputs is None:
            OUTCOMES.labels("bypass").inc()
            return await self._execute(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        key = body_key(inputs, request_data)
        if (body := self.bodies.get(key)) is not None and await _charged(context, body):
            OUTCOMES.labels("hit").inc()
            request.scope["state"][_BODY_KEY] = key
            await expose_again(context, body.experiments)
            sub_response.headers.update(rate_limit_headers(context.rate_limits.decisions))
            return ExecutionResult(
                data=EncodedData(body.data), errors=None, extensions={"cost": body.cost}
            )
        result = await self._execute(
            request, request_adapter, request_data, context, root_value, sub_response
        )
        if not (
            isinstance(result, ExecutionResult)
            and result.data is not None
            and not result.errors
            and rendered_fully(context)
        ):
            OUTCOMES.labels("skip").inc()
            return result
        OUTCOMES.labels("miss").inc()
        encoded = _encoded(result.data)
        cost = int((result.extensions or {}).get("cost", 0))
        self.bodies.put(
            key, Body(encoded, cost, fields, tuple(context.treatments), time.monotonic())
        )
        request.scope["state"][_BODY_KEY] = key  # compressed now, for the hits to come
        return ExecutionResult(data=EncodedData(encoded), errors=None, extensions=result.extensions)

    def _heartbeat_plan(
        self,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
    ) -> HeartbeatPlan | None:
        """The plan for a heartbeat POSTed in a document this worker has planned already."""
        if request_adapter.method != "POST" or not isinstance(request_data, GraphQLRequestData):
            return None
        query, name = request_data.query, request_data.operation_name
        if not isinstance(query, str) or not isinstance(name, str | None):
            return None
        if not isinstance(request_data.variables, dict | None):
            return None
        return self.heartbeats.get(query, name)

    def _learn_heartbeat(
        self,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        result: ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult,
    ) -> None:
        """Plan a heartbeat document once the executor has answered it without errors."""
        if not (
            request_adapter.method == "POST"
            and isinstance(request_data, GraphQLRequestData)
            and isinstance(request_data.query, str)
            and isinstance(request_data.operation_name, str | None)
            and heartbeat_plan.FIELD in request_data.query
            and isinstance(result, ExecutionResult)
            and result.data is not None
            and not result.errors
        ):
            return
        if not self.heartbeats.known(request_data.query, request_data.operation_name):
            self.heartbeats.learn(request_data.query, request_data.operation_name)

    async def _operation(
        self,
        planned: HeartbeatPlan | None,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        if planned is not None:
            assert isinstance(request_data, GraphQLRequestData)
            variables = request_data.variables or {}
            answer = await heartbeat_plan.answer(planned, self.graphql_schema, context, variables)
            if answer is not None:
                return answer
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def _execute(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
        planned: HeartbeatPlan | None = None,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        deadline = self.contexts.settings.operation_deadline_seconds
        left = request.scope["state"][_DEADLINE] - time.monotonic()
        operation = self._operation(
            planned, request, request_adapter, request_data, context, root_value, sub_response
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

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise MutationOverGet(405, error.reason) from error.__cause__
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        state = request.scope.setdefault("state", {})
        if result.errors:
            request_id = state.get("request_id", "-")
            result.errors = [classify(error, request_id, is_outage) for error in result.errors]
        response = await super().process_result(request, result)
        # Every answer says what its document cost; 0 when it never got to be priced.
        extensions = response.get("extensions") or {}
        response["extensions"] = {**extensions, "cost": extensions.get("cost", 0)}
        if is_request_error(response):
            # Nothing was executed: under the spec's media type that is a 4xx (or, when it
            # is ours, a 5xx) and no data entry; application/json keeps its 200 and null.
            state[_REQUEST_ERROR] = request_error_status(response)
            if state.get(_MEDIA_TYPE) == GRAPHQL_RESPONSE:
                del response["data"]
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
