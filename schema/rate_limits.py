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
        await info.context.rate_limits.take(self.category)
        return await next_(source, info, **kwargs)


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
