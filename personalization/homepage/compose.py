"""The page-wide rules, applied to every row's plan: pure, no I/O.

Rows come in a fixed order (an experiment may reorder them), every row is maturity-filtered,
a row never repeats a title, a title appears in at most two rows, and empty rows are
dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from core.records import Video
from personalization.homepage.model import Row, RowKind, RowPlan

MAX_ROWS_PER_TITLE = 2

# Rows that are lists the viewer knows (their own, or a chart) claim their titles before
# the recommendation rows do, so the two-rows cap never leaves holes in them.
CLAIM_FIRST = (RowKind.CONTINUE_WATCHING, RowKind.MY_LIST, RowKind.TOP_10, RowKind.TRENDING)


def compose(
    plans: Iterable[RowPlan],
    allowed: Mapping[int, Video],
    *,
    rows: int,
    items_per_row: int,
    order: Sequence[RowKind],
) -> list[Row]:
    """Fill up to ``rows`` rows shown in ``order`` (plans of one kind keep their own order)."""
    rank = {kind: index for index, kind in enumerate(order)}
    shown = [
        plan
        for plan in sorted(plans, key=lambda plan: rank.get(plan.kind, len(rank)))
        if any(video_id in allowed for video_id in [*plan.candidates, *plan.fill])
    ][:rows]
    claims = sorted(
        range(len(shown)),
        key=lambda i: (CLAIM_FIRST.index(shown[i].kind) if shown[i].kind in CLAIM_FIRST else 9, i),
    )
    sizes = [min(items_per_row, plan.limit or items_per_row) for plan in shown]
    filled: list[dict[int, Video]] = [{} for _ in shown]  # insertion-ordered: no title twice
    uses: Counter[int] = Counter()

    def take(index: int, candidates: Sequence[int], up_to: int) -> None:
        items = filled[index]
        for video_id in candidates:
            if len(items) >= up_to:
                return
            video = allowed.get(video_id)
            if video is not None and video_id not in items and uses[video_id] < MAX_ROWS_PER_TITLE:
                items[video_id] = video
                uses[video_id] += 1

    for index in claims:
        plan = shown[index]
        take(index, plan.candidates, sizes[index])
        take(index, plan.fill, min(plan.fill_to, sizes[index]))
    # Top-ups beyond a row's minimum come last: they take only what no row claimed.
    for index in claims:
        take(index, shown[index].fill, sizes[index])
    return [
        Row(plan.id, plan.kind, plan.title, list(filled[index].values()))
        for index, plan in enumerate(shown)
        if filled[index]
    ]
