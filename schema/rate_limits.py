"""Every root field resolved counts against its category's rate limit, alias by alias.

The check is a field extension on the root fields only (``guard_root_fields``, applied by
``schema/assembly.py``), outermost, so it runs before the directive layer's checks and
costs nothing on the thousands of nested fields a page resolves. Fields of one document
are counted as they run: in a document of six sign-in attempts with five left, five run
and the sixth answers RATE_LIMITED. The HTTP view answers 429 when nothing but limits
came back (``server/graphql_view.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from graphql import DocumentNode, FieldNode, OperationDefinitionNode, OperationType
from strawberry.extensions import FieldExtension
from strawberry.utils.str_converters import to_camel_case

from auth.rate_policies import Category
from resolvers.context import Context
from schema.rate_categories import category_of


class CategoryLimit(FieldExtension):
    def __init__(self, category: Category) -> None:
        self.category = category

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: strawberry.Info[Context, None],
        **kwargs: Any,
    ) -> Any:
        # Counted already, most often, with the document's cost (schema/query_cost.py).
        await info.context.rate_limits.take(self.category, field_key=str(info.path.key))
        return await next_(source, info, **kwargs)


_ROOT_TYPES = {
    OperationType.QUERY: "Query",
    OperationType.MUTATION: "Mutation",
    OperationType.SUBSCRIPTION: "Subscription",
}


def root_fields(document: DocumentNode, operation_name: str | None) -> list[tuple[str, Category]]:
    """The operation's root fields (response key, category) that surely run: plain fields
    with no @skip or @include, so they can be counted before execution, with the cost.
    Fields behind fragments or directives are counted as they run."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return []
    operation = operations[0]
    root = _ROOT_TYPES[operation.operation]
    return [
        ((field.alias or field.name).value, category_of(root, field.name.value))
        for field in operation.selection_set.selections
        if isinstance(field, FieldNode)
        and not field.directives
        and not field.name.value.startswith("__")
    ]


def guard_root_fields(*root_types: type) -> None:
    """Add each root field's ``CategoryLimit`` (once: the field objects are shared by every
    schema built from these types, the domains' own included)."""
    for root in root_types:
        definition = root.__strawberry_definition__  # type: ignore[attr-defined]
        for field in definition.fields:
            if any(isinstance(extension, CategoryLimit) for extension in field.extensions):
                continue
            name = field.graphql_name or to_camel_case(field.python_name)  # as the SDL says it
            # Last in the list is outermost: counted before any other extension runs.
            field.extensions.append(CategoryLimit(category_of(definition.name, name)))
