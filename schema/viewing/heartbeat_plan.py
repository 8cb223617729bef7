"""The heartbeat, planned: a document asking ``updateProgress(input: $input)`` for plain
fields of its ``Progress`` is answered without the GraphQL executor.

A player sends the same heartbeat document every 10 seconds while it plays: the busiest
request there is. Through strawberry and graphql-core it spends about a quarter of a web
worker's CPU on argument conversion, field extensions and the executor's bookkeeping, none
of which this one field needs. A plan is learned from a document's first answer without
errors, so what its text decides (its size, parsing, validation, its literals, its price
against the limit) has passed the schema's own checks. What depends on the request is done
again every time, with the schema's own parts: the variables coerced by graphql-core and
their text checked (``schema/input_hygiene.py``), the document's cost and the field's rate
limit charged in one round trip (``schema/query_cost.py``, ``schema/rate_limits.py``), the
viewer's sign-in required (``schema/directives.py``), the operation timed
(``schema/operation_metrics.py``), the fields serialized by the schema's scalars.

Whatever a plan does not handle goes to the executor, which answers it as it answers any
document: no profile signed in, variables that do not coerce or are refused, a limit that
refuses (nothing was written then). An error the resolver raises is answered as the
executor would: located at the field, with no data (the field is non-null).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_named_type,
    get_variable_values,
    located_error,
    parse,
)
from graphql.type.definition import GraphQLLeafType
from prometheus_client import Counter
from strawberry.types import ExecutionResult
from strawberry.utils.str_converters import to_camel_case

from core.errors import FlixError
from resolvers.context import Context
from schema.input_hygiene import check_variables
from schema.operation_metrics import OPERATION_SECONDS, operation_label
from schema.query_cost import QUERY_COST, price
from schema.rate_limits import root_fields
from schema.viewing.mutations import record_heartbeat
from schema.viewing.types import Progress, ProgressInput

FIELD = "updateProgress"
ARGUMENT = "input"
TYPENAME = "__typename"
PLANNED = Counter(
    "flix_heartbeat_plans",
    "Heartbeats in a planned document, by what answered them (plan, executor).",
    ["answered_by"],
)
MAX_DOCUMENTS = 64  # texts remembered, planned or not: clients send a few heartbeat documents


def _attributes(strawberry_type: type, *, plain_only: bool = False) -> dict[str, str]:
    """A strawberry type's fields as the schema names them, to their Python attributes;
    ``plain_only``: only fields that are data (no resolver of their own)."""
    definition = strawberry_type.__strawberry_definition__  # type: ignore[attr-defined]
    return {
        field.graphql_name or to_camel_case(field.python_name): field.python_name
        for field in definition.fields
        if not (plain_only and field.base_resolver is not None)
    }


_INPUT = _attributes(ProgressInput)
_PLAIN = _attributes(Progress, plain_only=True)


@dataclass(frozen=True)
class HeartbeatPlan:
    document: DocumentNode
    operation: OperationDefinitionNode
    operation_name: str | None
    field: FieldNode
    key: str  # the field's response key
    variable: str  # the variable bound to its input
    selection: tuple[tuple[str, str], ...]  # (response key, field name) of Progress


def _selected(field: FieldNode) -> tuple[tuple[str, str], ...] | None:
    """The field's selection when it is plain fields of Progress alone, else None."""
    if field.selection_set is None:
        return None
    selected = []
    for chosen in field.selection_set.selections:
        if not isinstance(chosen, FieldNode) or chosen.directives or chosen.arguments:
            return None
        if chosen.selection_set or chosen.name.value not in (*_PLAIN, TYPENAME):
            return None
        selected.append(((chosen.alias or chosen.name).value, chosen.name.value))
    return tuple(selected)


def plan(document: DocumentNode, operation_name: str | None) -> HeartbeatPlan | None:
    """The plan for a document that is one mutation of ``updateProgress(input: $v)`` alone,
    with no fragments or directives, selecting plain fields; None for any other."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != len(document.definitions):  # fragments: not planned
        return None
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return None
    operation = operations[0]
    if operation.operation is not OperationType.MUTATION or operation.directives:
        return None
    definitions, selections = (
        operation.variable_definitions or (),
        operation.selection_set.selections,
    )
    if len(definitions) != 1 or len(selections) != 1:
        return None
    definition, field = definitions[0], selections[0]
    declared = definition.type
    if not (
        isinstance(declared, NonNullTypeNode)
        and isinstance(declared.type, NamedTypeNode)
        and declared.type.name.value == ProgressInput.__name__
        and not definition.directives
    ):
        return None
    if not isinstance(field, FieldNode) or field.name.value != FIELD or field.directives:
        return None
    variable = definition.variable.name.value
    arguments = field.arguments or ()
    if not (
        len(arguments) == 1
        and arguments[0].name.value == ARGUMENT
        and isinstance(arguments[0].value, VariableNode)
        and arguments[0].value.name.value == variable
    ):
        return None
    selection = _selected(field)
    if selection is None:
        return None
    key = (field.alias or field.name).value
    return HeartbeatPlan(document, operation, operation_name, field, key, variable, selection)


class HeartbeatPlans:
    """The plans learned so far, by document text and operation name (bounded)."""

    def __init__(self, size: int = MAX_DOCUMENTS) -> None:
        self._size = size
        self._plans: OrderedDict[tuple[str, str | None], HeartbeatPlan | None] = OrderedDict()

    def get(self, text: str, operation_name: str | None) -> HeartbeatPlan | None:
        return self._plans.get((text, operation_name))

    def known(self, text: str, operation_name: str | None) -> bool:
        return (text, operation_name) in self._plans

    def learn(self, text: str, operation_name: str | None) -> None:
        """Plan a document the executor has just answered without errors (or remember that
        it has no plan, so it is not parsed again)."""
        self._plans[(text, operation_name)] = plan(parse(text), operation_name)
        while len(self._plans) > self._size:
            self._plans.popitem(last=False)


def _serialized(schema: GraphQLSchema, plan: HeartbeatPlan, progress: Progress) -> dict[str, Any]:
    progress_type = schema.get_type(Progress.__name__)
    assert isinstance(progress_type, GraphQLObjectType)
    answer: dict[str, Any] = {}
    for key, name in plan.selection:
        if name == TYPENAME:
            answer[key] = progress_type.name
            continue
        leaf = get_named_type(progress_type.fields[name].type)
        assert isinstance(leaf, GraphQLLeafType)
        answer[key] = leaf.serialize(getattr(progress, _PLAIN[name]))
    return answer


async def _charged(plan: HeartbeatPlan, context: Context, cost: int) -> bool:
    """The document's cost and the field's rate limit, as the executor charges them; False
    when a limit refuses (or fails closed): the executor then answers the refusal."""
    limits = context.rate_limits
    fields = root_fields(plan.document, plan.operation_name)
    try:
        await limits.charge_document(cost, fields)
        for key, category in fields:
            await limits.take(category, field_key=key)
    except FlixError:
        return False
    return True


async def answer(
    plan: HeartbeatPlan, schema: GraphQLSchema, context: Context, variables: dict[str, Any]
) -> ExecutionResult | None:
    """The planned answer, or None when the executor is to answer instead."""
    result = await _answer(plan, schema, context, variables)
    PLANNED.labels("executor" if result is None else "plan").inc()
    return result


async def _answer(
    plan: HeartbeatPlan, schema: GraphQLSchema, context: Context, variables: dict[str, Any]
) -> ExecutionResult | None:
    started = time.perf_counter()
    if context.viewer.account is None or context.viewer.profile is None:
        return None
    coerced = get_variable_values(schema, plan.operation.variable_definitions or (), variables)
    if isinstance(coerced, list):  # the executor words the coercion errors
        return None
    try:
        check_variables(plan.document, variables)
    except FlixError:
        return None
    cost = price(schema, plan.document, plan.operation_name, variables)
    if not await _charged(plan, context, cost):
        return None
    QUERY_COST.observe(cost)
    values: dict[str, Any] = {
        _INPUT[name]: value for name, value in coerced.coerced[plan.variable].items()
    }
    heartbeat = ProgressInput(**values)
    try:
        progress = await record_heartbeat(context, heartbeat)
        data: dict[str, Any] | None = {plan.key: _serialized(schema, plan, progress)}
        errors = None
    except Exception as error:  # as the executor does: located at the field, classified later
        data, errors = None, [located_error(error, [plan.field], [plan.key])]
    result = ExecutionResult(data=data, errors=errors, extensions={"cost": cost})
    label = operation_label(schema, plan.document)
    OPERATION_SECONDS.labels(label).observe(time.perf_counter() - started)
    return result
