"""Every document is priced before it runs (``schema/cost.py``): over ``max_cost`` it is
refused with QUERY_TOO_COMPLEX (``cost`` and ``maxCost`` in the error), otherwise its cost
is charged to the account's per-minute budget (the rate limiter's ``query-cost`` policy).
Every answer says what its document cost in ``extensions.cost``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

from core.errors import ErrorCode, FlixError
from schema.cost import document_cost
from schema.rate_limits import root_fields

QUERY_COST = Histogram(
    "flix_query_cost",
    "Query cost of each priced document.",
    buckets=(10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 100_000),
)
TOO_COMPLEX = Counter("flix_query_too_complex", "Documents refused for their cost.")


class QueryTooComplex(FlixError):
    code = ErrorCode.QUERY_TOO_COMPLEX


class QueryCost(SchemaExtension):
    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost
        self.cost = 0

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        # A result already set (input hygiene refused the document) means nothing runs.
        if context.result is None and context.graphql_document is not None:
            self.cost = document_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
            )
            QUERY_COST.observe(self.cost)
            try:
                if self.cost > self.max_cost:
                    TOO_COMPLEX.inc()
                    raise QueryTooComplex(
                        f"This document costs {self.cost} points, over the {self.max_cost} "
                        "one request may ask for: ask for fewer items, or fewer at a time."
                    )
                await context.context.rate_limits.charge_document(
                    self.cost, root_fields(context.graphql_document, context.operation_name)
                )
            except FlixError as error:  # QUERY_TOO_COMPLEX, RATE_LIMITED or UNAVAILABLE
                more = {"cost": self.cost, "maxCost": self.max_cost}
                refusal = GraphQLError(
                    error.message,
                    original_error=error,
                    extensions=more if isinstance(error, QueryTooComplex) else None,
                )
                # Setting the result before yielding skips execution altogether.
                context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost}
