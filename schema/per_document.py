"""Work that depends on a parsed document alone, done once per document.

strawberry's ``ParserCache`` hands every request with the same text the same ``DocumentNode``
object, so what a document's text decides (which variables size its lists, where its string
literals go) is worked out on its first request and looked up by identity after that. A
document parsed afresh (the cache full, or another text) is simply worked out again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from graphql import DocumentNode

Derived = TypeVar("Derived")


class PerDocument(Generic[Derived]):
    def __init__(self, derive: Callable[[DocumentNode], Derived], maxsize: int = 1024) -> None:
        self._derive = derive
        self._maxsize = maxsize
        # By id(), holding the document itself: its id cannot be reused while it is here.
        self._entries: OrderedDict[int, tuple[DocumentNode, Derived]] = OrderedDict()

    def __call__(self, document: DocumentNode) -> Derived:
        key = id(document)
        found = self._entries.get(key)
        if found is not None and found[0] is document:
            self._entries.move_to_end(key)
            return found[1]
        derived = self._derive(document)
        self._entries[key] = (document, derived)
        if len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)
        return derived
