"""Composing a homepage from candidate lists: pure rules, no I/O.

Rules: rows come in a fixed order (an experiment may reorder them), every row is
maturity-filtered, a row never repeats a title, a title appears in at most two rows, and
empty rows are dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from datasources.records import Video

MAX_ROWS_PER_TITLE = 2


class RowKind(StrEnum):
    CONTINUE_WATCHING = "CONTINUE_WATCHING"
    TRENDING = "TRENDING"
    TOP_GENRE = "TOP_GENRE"
    BECAUSE_YOU_WATCHED = "BECAUSE_YOU_WATCHED"
    MY_LIST = "MY_LIST"
    NEW_RELEASES = "NEW_RELEASES"
    TOP_10 = "TOP_10"


DEFAULT_ORDER = tuple(RowKind)


@dataclass(frozen=True)
class RowPlan:
    """A row before the page-wide rules: its candidates, best first."""

    id: str
    kind: RowKind
    title: str
    candidates: Sequence[int]


@dataclass(frozen=True)
class Row:
    id: str
    kind: RowKind
    title: str
    items: list[Video] = field(default_factory=list)


# Rows that are lists the viewer knows (their own, or a chart) claim their titles before
# the recommendation rows do, so the two-rows cap never leaves holes in them.
CLAIM_FIRST = (RowKind.CONTINUE_WATCHING, RowKind.MY_LIST, RowKind.TOP_10, RowKind.TRENDING)


def compose(
    plans: Iterable[RowPlan],
    allowed: dict[int, Video],
    *,
    rows: int,
    items_per_row: int,
    order: Sequence[RowKind] = DEFAULT_ORDER,
) -> list[Row]:
    """Fill up to ``rows`` rows shown in ``order`` (plans of one kind keep their own order)."""
    rank = {kind: index for index, kind in enumerate(order)}
    shown = [
        plan
        for plan in sorted(plans, key=lambda plan: rank.get(plan.kind, len(rank)))
        if any(video_id in allowed for video_id in plan.candidates)
    ][:rows]
    claims = sorted(
        range(len(shown)),
        key=lambda i: (CLAIM_FIRST.index(shown[i].kind) if shown[i].kind in CLAIM_FIRST else 9, i),
    )
    uses: Counter[int] = Counter()
    filled: dict[int, list[Video]] = {}
    for index in claims:
        items: list[Video] = []
        for video_id in dict.fromkeys(shown[index].candidates):  # no title twice in a row
            if len(items) == items_per_row:
                break
            video = allowed.get(video_id)
            if video is not None and uses[video_id] < MAX_ROWS_PER_TITLE:
                items.append(video)
        uses.update(video.id for video in items)
        filled[index] = items
    return [
        Row(plan.id, plan.kind, plan.title, filled[index])
        for index, plan in enumerate(shown)
        if filled[index]
    ]


def genre_affinity(
    weighted_titles: Iterable[tuple[Video, float]],
) -> list[str]:
    """Genres by the summed weight of the titles that speak for them (best first)."""
    scores: dict[str, float] = {}
    for video, weight in weighted_titles:
        for genre in video.genres:
            scores[genre] = scores.get(genre, 0.0) + weight
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [genre for genre, score in best if score > 0]


def popular_genres(allowed: dict[int, Video]) -> list[str]:
    """For a profile with no history: the genres with the largest, most watched catalogue."""
    return genre_affinity((video, 1 + math.log1p(video.popularity)) for video in allowed.values())


def ranked(candidates: Iterable[Video], score: Callable[[Video], float]) -> list[int]:
    return [video.id for video in sorted(candidates, key=lambda v: (-score(v), v.id))]
