"""Every GraphQL error leaves with ``extensions.code``; unexpected ones are masked and logged.

The HTTP view applies ``classify`` to every result, because parse and validation failures
never reach a schema extension's operation hook with a result to rewrite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
import structlog
from graphql.error import GraphQLError

from core.errors import ErrorCode, FlixError, RateLimited

__all__ = ["ErrorCode", "classify"]

log = structlog.get_logger("flix.graphql")

# No field returns it: the schema lists it (build_schema's ``types``) so that clients
# generate the vocabulary of ``extensions.code`` from the SDL like every other.
strawberry.enum(
    ErrorCode,
    name="ErrorCode",
    description="Every `extensions.code` an error can carry.",
)


def _with_code(error: GraphQLError, code: ErrorCode, **more: Any) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": code, **more}
    return error


def _never(_error: BaseException) -> bool:
    return False


def classify(
    error: GraphQLError,
    request_id: str,
    is_outage: Callable[[BaseException], bool] = _never,
) -> GraphQLError:
    """``is_outage`` tells a store being away (answered UNAVAILABLE: retry later) from a
    fault of ours (INTERNAL, masked); the server layer, which knows the stores, passes it."""
    original = error.original_error
    if isinstance(original, RateLimited):
        return _with_code(error, original.code, retryAfterSeconds=original.retry_after_seconds)
    if isinstance(original, FlixError):
        return _with_code(error, original.code)
    if original is None or isinstance(original, GraphQLError):
        # Parse, validation, limit and variable errors: the request itself is wrong.
        return _with_code(error, ErrorCode.BAD_USER_INPUT)
    if is_outage(original):
        log.warning("a store is unavailable", request_id=request_id, error=repr(original))
        message = "A service this needs is unavailable right now; retry shortly."
        return _with_code(
            GraphQLError(message, error.nodes, path=error.path), ErrorCode.UNAVAILABLE
        )
    log.error(
        "unexpected error",
        request_id=request_id,
        path=error.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    masked = GraphQLError(
        f"Internal error. Quote request id {request_id} when reporting it.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
    )
    return _with_code(masked, ErrorCode.INTERNAL, requestId=request_id)
