"""Entities: the types other subgraphs may extend, each found again by its ``@key``.

``@entity`` marks a merged type; it changes nothing in the merged schema (no directive, no
field). Each subgraph that holds the type (``schema/subgraphs.py``) declares ``@key`` on it and
answers ``_entities`` for it with the type's ``resolve_reference``, which goes through the
request's DataLoaders (a batch of representations is one statement) and applies the same
access rules as the root field that reads the entity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T", bound=type)

_KEY_ATTRIBUTE = "__flix_entity_key__"


def entity(key: str = "id") -> Callable[[T], T]:
    """Mark a strawberry type as an entity found by ``key`` (its GraphQL field names)."""

    def mark(cls: T) -> T:
        if not callable(getattr(cls, "resolve_reference", None)):
            raise TypeError(f"entity {cls.__name__} needs a resolve_reference classmethod")
        setattr(cls, _KEY_ATTRIBUTE, key)
        return cls

    return mark


def entity_key(cls: type) -> str | None:
    """The key of an entity, None for a value type (only the class itself counts, not a base)."""
    key = cls.__dict__.get(_KEY_ATTRIBUTE)
    return key if isinstance(key, str) else None
