"""Static query cost: what a document asks for, priced from its text before anything runs.

A field costs its own price plus, for a list, its size times what each item costs: an
object is 1, a scalar 0, and a field whose resolver reaches a store on its own (not
through a request's DataLoaders, which batch a whole level into one statement) or runs
a search or a ranking is priced in ``FIELD_PRICES``. A list's size is its ``first``
argument, or for the lists inside a connection or a homepage the ``first``, ``rows`` or
``itemsPerRow`` of the field that holds them, as given or as the resolver defaults it;
other lists are as long as ``LIST_SIZES`` says, or ``ASSUMED_LIST_SIZE``. Fields are
merged by response key as execution merges them, so repeating a field (or a fragment)
costs nothing more, and ``@skip``/``@include`` are ignored (priced as if all of it ran).

The point is the ratio, not the unit: the document of issue 13 (100 videos, 50 similar
titles each, 50 similar to each of those) prices at about 300,000 against a homepage's
few hundred.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_object_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.utilities import get_operation_ast

from core.pagination import DEFAULT_PAGE

OBJECT_PRICE = 1
# Fields that do work of their own per call, beyond building an object.
FIELD_PRICES: dict[str, int] = {
    "Query.video": 2,
    "Query.videos": 5,
    "Query.myList": 5,
    "Query.continueWatching": 5,
    "Query.viewingHistory": 10,  # reads the whole history to page it
    "Query.search": 10,  # full-text search
    "Query.playback": 10,  # media assets, resume point, a signed license URL
    "Query.homepage": 20,  # ranks every row
    "Query.experimentResults": 20,  # statistics over every exposure
    "Video.similar": 10,  # a nearest-neighbour search per title, not batched
}
# The arguments that size a list, and what each is when the document leaves it out.
SIZE_DEFAULTS: dict[str, int] = {"first": DEFAULT_PAGE, "rows": 10, "itemsPerRow": 20}
# Lists sized by an argument of the field that holds them (a connection's edges: the
# connection field's ``first``).
SIZED_BY_ENCLOSING: dict[str, str] = {"Homepage.rows": "rows", "Row.items": "itemsPerRow"}
ASSUMED_LIST_SIZE = 10
# Lists with no size argument whose length is known better than that. Seasons and episodes
# are read a level per statement whatever their number; a long-running series is dearer
# than its estimate, the catalog as a whole is not.
LIST_SIZES: dict[str, int] = {"Account.profiles": 5, "Video.seasons": 3, "Season.episodes": 10}
# Introspection's root fields, which no object type lists: answered from memory, and
# graphql-core's MaxIntrospectionDepthRule already refuses the nesting that would make one
# large, so a flat price (GraphiQL's whole introspection query included).
_META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}
INTROSPECTION_PRICE = 50


@dataclass(frozen=True)
class _Field:
    parent: GraphQLNamedType
    definition: GraphQLField
    nodes: tuple[FieldNode, ...]


class _Pricer:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.root = schema.query_type

    def selections(self, parent: GraphQLNamedType, sets: Iterable[SelectionSetNode]) -> int:
        return sum(self.field(f, {}) for f in self._collect(parent, sets, {}, set()).values())

    def _collect(
        self,
        parent: GraphQLNamedType,
        sets: Iterable[SelectionSetNode],
        into: dict[str, _Field],
        spread: set[str],
    ) -> dict[str, _Field]:
        """Fields by response key, through fragments, as execution would merge them."""
        for selection_set in sets:
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    self._add(parent, selection, into)
                elif isinstance(selection, InlineFragmentNode):
                    self._collect(parent, [selection.selection_set], into, spread)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name not in spread and name in self.fragments:
                        spread.add(name)  # once per selection set, as execution does
                        self._collect(parent, [self.fragments[name].selection_set], into, spread)
        return into

    def _add(self, parent: GraphQLNamedType, node: FieldNode, into: dict[str, _Field]) -> None:
        key = (node.alias or node.name).value
        if key in into:
            found = into[key]
            into[key] = _Field(found.parent, found.definition, (*found.nodes, node))
            return
        name = node.name.value
        if name == "__typename" or not isinstance(parent, GraphQLObjectType):
            return  # free: no resolver runs
        definition = _META_FIELDS.get(name) if parent is self.root else None
        definition = definition or parent.fields.get(name)
        if definition is not None:
            into[key] = _Field(parent, definition, (node,))

    def field(self, found: _Field, sizes: Mapping[str, int]) -> int:
        if any(found.definition is meta for meta in _META_FIELDS.values()):
            return INTROSPECTION_PRICE
        key = f"{found.parent.name}.{found.nodes[0].name.value}"
        arguments = get_argument_values(found.definition, found.nodes[0], self.variables)
        inner_sizes = {**sizes, **_sizes(found.definition, arguments)}
        field_type = get_nullable_type(found.definition.type)
        item_type = get_named_type(field_type)
        composite = is_composite_type(item_type)
        price = FIELD_PRICES.get(key, OBJECT_PRICE if composite else 0)
        if not composite:
            return price
        children = self._children(item_type, found, inner_sizes)
        if not isinstance(field_type, GraphQLList):
            return price + children
        if "first" in found.definition.args:
            size = inner_sizes["first"]
        elif key in SIZED_BY_ENCLOSING:
            size = sizes.get(SIZED_BY_ENCLOSING[key], ASSUMED_LIST_SIZE)
        elif found.parent.name.endswith("Connection") and found.nodes[0].name.value == "edges":
            size = sizes.get("first", ASSUMED_LIST_SIZE)
        else:
            size = LIST_SIZES.get(key, ASSUMED_LIST_SIZE)
        return price + size * (OBJECT_PRICE + children)

    def _children(
        self, item_type: GraphQLNamedType, found: _Field, sizes: Mapping[str, int]
    ) -> int:
        sets = [node.selection_set for node in found.nodes if node.selection_set is not None]
        # Abstract types: priced on each object type that may turn up, the dearest counts.
        candidates: Sequence[GraphQLNamedType] = (
            [item_type] if is_object_type(item_type) else self.schema.get_possible_types(item_type)  # type: ignore[arg-type]
        )
        prices = [
            sum(self.field(f, sizes) for f in self._collect(t, sets, {}, set()).values())
            for t in candidates
        ]
        return max(prices, default=0)


def _sizes(definition: GraphQLField, arguments: Mapping[str, Any]) -> dict[str, int]:
    """The list-sizing arguments a field takes: as given, or as the resolver defaults them
    when the document leaves them out (or null); never below 0."""
    found = {}
    for name, default in SIZE_DEFAULTS.items():
        if name in definition.args:
            value = arguments.get(name)
            found[name] = max(0, value) if isinstance(value, int) else default
    return found


def document_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation that would run; 0 when it cannot run (no such operation,
    bad variables), which execution then refuses with its own error."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {})
    )
    if root is None or isinstance(coerced, list):
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Pricer(schema, fragments, coerced).selections(root, [operation.selection_set])
