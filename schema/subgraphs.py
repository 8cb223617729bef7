"""One Federation 2 subgraph per domain, cut from the merged schema's own types.

There is one code base: the merged schema (``schema/assembly.py``) is what the domains define.
A subgraph keeps the root fields its domains define, and of each type it reaches:

- an entity (``schema/federation.py``): its key, plus the fields defined in its domains' part
  of it (a field belongs to the domain whose ``schema/<domain>/`` module defines it). With such
  fields it declares ``@key`` and answers ``_entities`` with the entity's
  ``resolve_reference``; without, it only refers to the entity (``@key(resolvable: false)``);
- a value type: every field, ``@shareable`` when another subgraph serves it too.

The subgraph's types are copies with the same names, fields and resolvers (a resolver still
gets the merged type's object), so a field behaves the same behind the gateway as in
``flix serve``, its directive layer included.
"""

from __future__ import annotations

import copy
import inspect
import types
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import strawberry
from graphql.error import GraphQLError
from strawberry.annotation import StrawberryAnnotation
from strawberry.federation import Schema as FederationSchema
from strawberry.federation.schema_directives import Key, Shareable
from strawberry.federation.types import FieldSet
from strawberry.schema.name_converter import NameConverter
from strawberry.types import ExecutionContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryObjectDefinition,
    StrawberryOptional,
    get_object_definition,
)
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.private import is_private
from strawberry.types.unset import UNSET

from schema.assembly import Limits, Mutation, Query, extensions
from schema.errors import ErrorCode
from schema.federation import entity_key

# The newest version both the composer and Hive Gateway read.
FEDERATION_VERSION: Literal["2.7"] = "2.7"

# Subgraph → the domains (``schema/<domain>/``) it serves.
SUBGRAPHS: Mapping[str, frozenset[str]] = {
    "identity": frozenset({"identity", "profiles"}),
    "catalog": frozenset({"catalog"}),
    "viewing": frozenset({"viewing"}),
    "personalization": frozenset({"personalization"}),
    "playback": frozenset({"playback"}),
    "experiments": frozenset({"experiments"}),
}


def field_domain(field: StrawberryField) -> str | None:
    """The domain whose module defines the field: ``schema.viewing.types`` → viewing."""
    parts = getattr(field.origin, "__module__", "").split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "schema" else None


def _definition(cls: type) -> StrawberryObjectDefinition:
    definition = get_object_definition(cls, strict=True)
    return definition


def _graphql_fields(definition: StrawberryObjectDefinition) -> Iterator[StrawberryField]:
    return (f for f in definition.fields if not is_private(f.type))


def _unwrapped(type_: Any) -> Any:
    while isinstance(type_, StrawberryOptional | StrawberryList):
        type_ = type_.of_type
    return type_.resolve_type() if isinstance(type_, LazyType) else type_


def _object(type_: Any) -> StrawberryObjectDefinition | None:
    definition = get_object_definition(_unwrapped(type_))
    return definition if definition is not None and not definition.is_input else None


@dataclass
class _Part:
    """What one subgraph serves of one object type."""

    definition: StrawberryObjectDefinition
    fields: list[StrawberryField]
    key: str | None  # set for an entity
    resolvable: bool = True
    shareable: bool = False


@dataclass
class _Plan:
    """One subgraph's root fields and types, by GraphQL name."""

    query: list[StrawberryField]
    mutation: list[StrawberryField]
    parts: dict[str, _Part] = field(default_factory=dict)


_NAMES = NameConverter()  # the default naming, as the merged schema's


def _name(definition: StrawberryObjectDefinition) -> str:
    return _NAMES.from_object(definition)


def _entities() -> dict[str, StrawberryObjectDefinition]:
    """Every entity the merged schema reaches, by name."""
    found: dict[str, StrawberryObjectDefinition] = {}
    stack = [_definition(Query), _definition(Mutation)]
    seen: set[str] = set()
    while stack:
        definition = stack.pop()
        name = _name(definition)
        if name in seen:
            continue
        seen.add(name)
        if entity_key(definition.origin):
            found[name] = definition
        stack.extend(d for f in _graphql_fields(definition) if (d := _object(f.type)))
    return found


def _plan(domains: frozenset[str], entities: Mapping[str, StrawberryObjectDefinition]) -> _Plan:
    def owned(fields: Iterable[StrawberryField]) -> list[StrawberryField]:
        return [f for f in fields if field_domain(f) in domains]

    plan = _Plan(
        query=owned(_graphql_fields(_definition(Query))),
        mutation=owned(_graphql_fields(_definition(Mutation))),
    )
    # Entities the subgraph adds fields to are in it even when none of its fields returns them.
    stack = [d for d in entities.values() if owned(_graphql_fields(d))]
    stack += [d for f in plan.query + plan.mutation if (d := _object(f.type))]
    while stack:
        definition = stack.pop()
        name = _name(definition)
        if name in plan.parts:
            continue
        key = entity_key(definition.origin)
        every = list(_graphql_fields(definition))
        if key is None:
            part = _Part(definition, every, key=None)
        else:
            keys = set(key.split())
            mine = owned(f for f in every if f.name not in keys)
            kept = [f for f in every if f.name in keys or f in mine]
            part = _Part(definition, kept, key=key, resolvable=bool(mine))
        plan.parts[name] = part
        stack.extend(d for f in part.fields if (d := _object(f.type)))
    return plan


def _plans() -> dict[str, _Plan]:
    entities = _entities()
    plans = {name: _plan(domains, entities) for name, domains in SUBGRAPHS.items()}
    # A value type served by two subgraphs must say so; nothing else is shareable.
    for name, plan in plans.items():
        for type_name, part in plan.parts.items():
            part.shareable = part.key is None and any(
                type_name in other.parts
                for other_name, other in plans.items()
                if other_name != name
            )
    return plans


class _Builder:
    """Makes the subgraph's classes: same names, its fields, the federation directives."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        # Shells first, so fields can name any of them (types refer to each other in cycles).
        self.classes = {name: types.new_class(name) for name in plan.parts}

    def annotation(self, type_: Any) -> Any:
        if isinstance(type_, StrawberryOptional):
            return Optional[self.annotation(type_.of_type)]  # noqa: UP045 (a runtime value)
        if isinstance(type_, StrawberryList):
            return list[self.annotation(type_.of_type)]  # type: ignore[misc]
        if isinstance(type_, LazyType):
            return self.annotation(type_.resolve_type())
        definition = get_object_definition(type_)
        if definition is not None and not definition.is_input:
            return self.classes[_name(definition)]
        enum = getattr(type_, "wrapped_cls", None)  # an enum's definition: its Python enum
        return enum if enum is not None else type_

    def copy(self, original: StrawberryField) -> StrawberryField:
        copied = copy.copy(original)
        copied.type_annotation = StrawberryAnnotation(self.annotation(original.type))
        return copied

    def root(self, name: str, fields: list[StrawberryField]) -> type | None:
        return _strawberry_type(name, [self.copy(f) for f in fields]) if fields else None

    def types(self) -> list[type]:
        for name, part in self.plan.parts.items():
            directives: list[object] = []
            if part.key is not None:
                # resolvable: true is the default, and so left unsaid.
                resolvable = UNSET if part.resolvable else False
                directives.append(Key(fields=FieldSet(part.key), resolvable=resolvable))
            if part.shareable:
                directives.append(Shareable())
            cls = self.classes[name]
            _strawberry_type(
                name,
                [self.copy(f) for f in part.fields],
                cls=cls,
                description=part.definition.description,
                directives=directives,
            )
            if part.key is not None and part.resolvable:
                cls.resolve_reference = _reference_resolver(part.definition.origin, cls)  # type: ignore[attr-defined]
        return list(self.classes.values())


def _strawberry_type(
    name: str,
    fields: list[StrawberryField],
    cls: type | None = None,
    description: str | None = None,
    directives: list[object] | None = None,
) -> type:
    cls = cls or types.new_class(name)
    cls.__annotations__ = {}
    for copied in fields:
        assert copied.python_name is not None
        setattr(cls, copied.python_name, copied)
        cls.__annotations__[copied.python_name] = copied.type_annotation.annotation  # type: ignore[union-attr]
    return strawberry.type(cls, name=name, description=description, directives=directives or ())


def _reference_resolver(merged: type, cls: type) -> Callable[..., Awaitable[Any]]:
    """The merged entity's ``resolve_reference``; its object is cast to the subgraph's type,
    which is how the ``_Entity`` union tells what it is."""
    resolve = merged.resolve_reference  # type: ignore[attr-defined]

    async def resolve_reference(info: strawberry.Info, **key: Any) -> Any:
        found = resolve(info=info, **key)
        if inspect.isawaitable(found):
            found = await found
        return strawberry.cast(cls, found)

    return resolve_reference


class FlixSubgraphSchema(FederationSchema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """As the merged schema: the HTTP view's ``classify`` logs what deserves it."""


def build_subgraph(name: str, limits: Limits = Limits()) -> FlixSubgraphSchema:
    """The subgraph ``name`` (a key of ``SUBGRAPHS``), limits and extensions as merged."""
    if name not in SUBGRAPHS:
        raise ValueError(f"no subgraph {name!r}; the subgraphs are {', '.join(SUBGRAPHS)}")
    builder = _Builder(_plans()[name])
    entity_types = builder.types()
    query = builder.root("Query", builder.plan.query)
    return FlixSubgraphSchema(
        query=query,
        mutation=builder.root("Mutation", builder.plan.mutation),
        types=[*entity_types, ErrorCode],
        extensions=extensions(limits),
        federation_version=FEDERATION_VERSION,
    )


def subgraph_sdl(name: str) -> str:
    """The subgraph's SDL, as its ``_service { sdl }`` answers and the composer reads it."""
    return build_subgraph(name).as_str().rstrip("\n") + "\n"
