"""Per-operation latency for Prometheus: ``flix_operation_seconds{operation}``.

The label is the operation's first root field as the schema names it (``Query.homepage``,
``Mutation.updateProgress``): a closed set, whatever clients send (aliases, operation names
and unknown fields are not labels). Documents that do not parse or name no field of ours
are ``other``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import FieldNode, GraphQLSchema, OperationDefinitionNode
from prometheus_client import Histogram
from strawberry.extensions import SchemaExtension

OTHER = "other"
OPERATION_SECONDS = Histogram(
    "flix_operation_seconds",
    "Time to answer a GraphQL operation, by its first root field.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class OperationLatency(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        label = operation_label(
            self.execution_context.schema._schema, self.execution_context.graphql_document
        )
        OPERATION_SECONDS.labels(label).observe(time.perf_counter() - started)


def operation_label(schema: GraphQLSchema, document: object) -> str:
    definitions = getattr(document, "definitions", ())
    operation = next((d for d in definitions if isinstance(d, OperationDefinitionNode)), None)
    if operation is None:
        return OTHER
    root = schema.get_root_type(operation.operation)
    field = next((s for s in operation.selection_set.selections if isinstance(s, FieldNode)), None)
    if root is None or field is None or field.name.value not in root.fields:
        return OTHER
    return f"{root.name}.{field.name.value}"
