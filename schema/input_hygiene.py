"""Every text argument of a document passes ``core.text.check_text`` before execution.

One place for all fields: literals in the document and variables alike (inside input
objects, lists and JSON values too), so no resolver can forget it and a bad value never
reaches SQL. The argument or input field a value lands in decides whether it is free text.
A document's literals are checked once, on its first request (``schema/per_document.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    ListValueNode,
    ObjectFieldNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from core.errors import BadUserInput
from core.text import check_text
from schema.per_document import PerDocument

# Arguments and input fields (GraphQL names) that hold prose, where line breaks belong.
FREE_TEXT = frozenset({"description", "hypothesis", "message"})


def _check(value: str, name: str) -> None:
    check_text(value, name, free_text=name in FREE_TEXT)


def _check_value(value: Any, name: str) -> None:
    """A variable's JSON value: input objects name their fields, lists keep their name."""
    if isinstance(value, str):
        _check(value, name)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(str(key), name)
            _check_value(item, str(key))


class _Literals(Visitor):
    """Checks string literals where they are written; records which argument or input
    field each variable is bound to, so its value is checked under that name."""

    def __init__(self) -> None:
        super().__init__()
        self.bindings: dict[str, set[str]] = {}

    def _literal(self, node: ValueNode, name: str) -> None:
        if isinstance(node, StringValueNode):
            _check(node.value, name)
        elif isinstance(node, ListValueNode):
            for item in node.values:
                self._literal(item, name)
        elif isinstance(node, VariableNode):
            self.bindings.setdefault(node.name.value, set()).add(name)

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        self._literal(node.value, node.name.value)

    def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
        self._literal(node.value, node.name.value)


def _bound_name(bound: set[str], variable: str) -> str:
    """The strictest wins: a variable used as a name and as a description is a name."""
    single_line = sorted(name for name in bound if name not in FREE_TEXT)
    return (single_line or sorted(bound) or [variable])[0]


@dataclass(frozen=True)
class _Scan:
    """What a document's text says: the name each variable's value is checked under, or
    why one of its literals is refused."""

    names: dict[str, str]
    refusal: str | None = None


def _scan(document: DocumentNode) -> _Scan:
    literals = _Literals()
    try:
        visit(document, literals)
    except BadUserInput as error:
        return _Scan({}, error.message)
    return _Scan({v: _bound_name(bound, v) for v, bound in literals.bindings.items()})


_SCANS = PerDocument(_scan)


def check_variables(document: DocumentNode, variables: Mapping[str, Any]) -> None:
    """Raises ``BadUserInput`` when a literal of the document or a variable's value is refused."""
    scan = _SCANS(document)
    if scan.refusal is not None:
        raise BadUserInput(scan.refusal)
    for variable, value in variables.items():
        _check_value(value, scan.names.get(variable, variable))


class InputHygiene(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            try:
                check_variables(context.graphql_document, context.variables or {})
            except BadUserInput as error:
                # Setting the result before yielding skips execution altogether.
                context.result = ExecutionResult(
                    data=None, errors=[GraphQLError(error.message, original_error=error)]
                )
        yield
