"""What a homepage is made of: row kinds, row plans (candidates) and rows (titles)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from core.records import Video


class RowKind(StrEnum):
    """The row kinds clients know (GraphQL's ``RowKind``), in default page order: the
    registry's list. ``TOP_GENRE`` is planned by ``rows/top_genre.py``, and so on."""

    CONTINUE_WATCHING = "CONTINUE_WATCHING"
    TRENDING = "TRENDING"
    TOP_GENRE = "TOP_GENRE"
    BECAUSE_YOU_WATCHED = "BECAUSE_YOU_WATCHED"
    MY_LIST = "MY_LIST"
    NEW_RELEASES = "NEW_RELEASES"
    TOP_10 = "TOP_10"


@dataclass(frozen=True)
class RowPlan:
    """A row before the page-wide rules: its candidates, best first."""

    id: str
    kind: RowKind
    title: str
    candidates: Sequence[int]
    # Titles that top the row up when its own candidates run short (a sparse chart): up to
    # ``fill_to`` items before other rows claim theirs, past that only from what they leave.
    fill: Sequence[int] = ()
    fill_to: int = 0
    # The most items the row ever shows, whatever the page's shape (a Top 10 shows ten).
    limit: int | None = None


@dataclass(frozen=True)
class Row:
    id: str
    kind: RowKind
    title: str
    items: list[Video] = field(default_factory=list)
