"""Every document is priced before it runs (``schema/cost.py``): over ``max_cost`` it is
refused with QUERY_TOO_COMPLEX (``cost`` and ``maxCost`` in the error), otherwise its cost
is charged to the account's per-minute budget (the rate limiter's ``query-cost`` policy).
Every answer says what its document cost in ``extensions.cost``. A document is priced once
per operation and list sizes, not once per request (``price``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    VariableNode,
    Visitor,
    visit,
)
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

from core.errors import ErrorCode, FlixError
from schema.cost import SIZE_DEFAULTS, document_cost
from schema.per_document import PerDocument
from schema.rate_limits import root_fields

QUERY_COST = Histogram(
    "flix_query_cost",
    "Query cost of each priced document.",
    buckets=(10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 100_000),
)
TOO_COMPLEX = Counter("flix_query_too_complex", "Documents refused for their cost.")


PRICES_PER_DOCUMENT = 64  # sizes remembered per document (a client pages with a few)


@dataclass
class _Prices:
    """A document's prices, by operation and the values of the variables that size its
    lists: nothing else in a request changes what the document costs."""

    sizing: tuple[str, ...]
    by_sizes: dict[tuple[object, ...], int] = field(default_factory=dict)


def _sizing_variables(document: DocumentNode) -> _Prices:
    names: set[str] = set()

    class Sizing(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            if node.name.value in SIZE_DEFAULTS and isinstance(node.value, VariableNode):
                names.add(node.value.name.value)

    visit(document, Sizing())
    return _Prices(tuple(sorted(names)))


_PRICES = PerDocument(_sizing_variables)


def price(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> int:
    prices = _PRICES(document)
    # The schema too: the merged schema and the subgraphs share parsed documents.
    key = (id(schema), operation_name, *(repr(variables.get(n)) for n in prices.sizing))
    cost = prices.by_sizes.get(key)
    if cost is None:
        cost = document_cost(schema, document, operation_name, variables)
        # Only a positive price: 0 may mean "cannot run" (bad variables), which the same
        # sizes with good variables must not inherit.
        if cost > 0 and len(prices.by_sizes) < PRICES_PER_DOCUMENT:
            prices.by_sizes[key] = cost
    return cost


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
            self.cost = price(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables or {},
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
