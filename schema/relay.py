"""Relay connections: ``edges { cursor node }``, ``pageInfo``, ``totalCount``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from core.pagination import PageRequest, encode_cursor
from core.records import Page

Node = TypeVar("Node")
Record = TypeVar("Record")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(
        cls,
        page: Page[Record],
        request: PageRequest,
        to_node: Callable[[Record], Node],
    ) -> Connection[Node]:
        edges = [
            Edge(cursor=encode_cursor(request.offset + index), node=to_node(item))
            for index, item in enumerate(page.items)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=request.offset + len(page.items) < page.total,
                has_previous_page=request.offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )
