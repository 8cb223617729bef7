"""Training: feedback (the viewing store, PostgreSQL) -> ALS embeddings -> a new model, switched in.

Safe to run while serving: the new model's vectors are written beside the current one's,
in short batches, and nothing reads them until :func:`activate_model` switches the
one-row ``current_embedding_model`` in a single transaction. Readers see the old model
whole, then the new one whole. A run that fails before the switch leaves the old model
serving and its half-written model is deleted (or pruned later).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.personalization.embeddings import (
    WRITE_BATCH,
    FeedbackRow,
    activate_model,
    create_model,
    delete_model,
    prune_models,
    read_feedback,
    write_profile_vectors,
    write_title_vectors,
)
from datasources.viewing.store import ViewingStore
from personalization.embeddings import DEFAULT_ALS_PARAMS, AlsParams, Vectors, train_embeddings
from personalization.signals import (
    DEFAULT_SIGNAL_WEIGHTS,
    Feedback,
    SignalWeights,
    preferences,
)

# progress(stage, fraction): fraction runs 0..1 within each stage, stages come in this
# order, and every stage ends with 1.0. Always called on the event loop's thread.
Progress = Callable[[str, float], None]
READING = "reading feedback"
TRAINING = "training"
WRITING_PROFILES = "writing profile vectors"
WRITING_TITLES = "writing title vectors"
SWITCHING = "switching model"
STAGES = (READING, TRAINING, WRITING_PROFILES, WRITING_TITLES, SWITCHING)

K = TypeVar("K", UUID, int)


@dataclass(frozen=True, slots=True)
class TrainReport:
    # None when there was no feedback to learn from: the current model (if any) stays.
    model_version: str | None
    previous_version: str | None
    feedback_rows: int  # (profile, title) pairs with any signal
    preferences: int  # of those, the ones that say something (nonzero confidence)
    profiles: int  # vectors written
    titles: int
    pruned: tuple[str, ...]  # old model versions deleted
    seconds: float


def _quiet(_stage: str, _fraction: float) -> None:
    return None


async def train(
    engine: AsyncEngine,
    viewing: ViewingStore,
    progress: Progress = _quiet,
    *,
    params: AlsParams = DEFAULT_ALS_PARAMS,
    weights: SignalWeights = DEFAULT_SIGNAL_WEIGHTS,
) -> TrainReport:
    """Learn embeddings from every profile's feedback and make them the current model."""
    started = time.perf_counter()
    progress(READING, 0.0)
    rows = await read_feedback(engine, viewing)
    wanted = preferences([_feedback(row) for row in rows], weights)
    progress(READING, 1.0)
    if not wanted:
        return TrainReport(None, None, len(rows), 0, 0, 0, (), time.perf_counter() - started)

    progress(TRAINING, 0.0)
    loop = asyncio.get_running_loop()

    def on_progress(fraction: float) -> None:  # runs in the worker thread
        loop.call_soon_threadsafe(progress, TRAINING, fraction)

    # ALS is CPU-bound: off the event loop, so a server sharing the process keeps serving.
    embeddings = await asyncio.to_thread(train_embeddings, wanted, params, on_progress)
    progress(TRAINING, 1.0)

    trained_at = datetime.now(UTC)
    version = f"als-{trained_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    record = {"als": asdict(params), "signals": asdict(weights)}
    await create_model(
        engine, version, dimensions=params.dimensions, trained_at=trained_at, params=record
    )
    try:
        profiles = await _write(
            WRITING_PROFILES, embeddings.profiles, progress, version, engine, write_profile_vectors
        )
        titles = await _write(
            WRITING_TITLES, embeddings.titles, progress, version, engine, write_title_vectors
        )
        progress(SWITCHING, 0.0)
        previous = await activate_model(engine, version)
    except BaseException:
        # Never served: take it away now rather than leave it for pruning.
        await asyncio.shield(delete_model(engine, version))
        raise
    pruned = await prune_models(engine)
    progress(SWITCHING, 1.0)
    return TrainReport(
        model_version=version,
        previous_version=previous,
        feedback_rows=len(rows),
        preferences=len(wanted),
        profiles=profiles,
        titles=titles,
        pruned=tuple(pruned),
        seconds=time.perf_counter() - started,
    )


def _feedback(row: FeedbackRow) -> Feedback[UUID]:
    return Feedback(
        profile_id=row.profile_id,
        video_id=row.video_id,
        watched=row.watched,
        completed=row.completed,
        rating=row.rating,
        in_my_list=row.in_my_list,
        at=row.at,
    )


async def _write(
    stage: str,
    vectors: Vectors[K],
    progress: Progress,
    version: str,
    engine: AsyncEngine,
    writer: Callable[[AsyncEngine, str, Sequence[tuple[K, Sequence[float]]]], Awaitable[int]],
) -> int:
    progress(stage, 0.0)
    written = 0
    total = len(vectors)
    for start in range(0, total, WRITE_BATCH):
        ids = vectors.ids[start : start + WRITE_BATCH]
        batch = [(key, vectors.matrix[start + i].tolist()) for i, key in enumerate(ids)]
        written += await writer(engine, version, batch)
        progress(stage, min(1.0, (start + len(ids)) / total))
    progress(stage, 1.0)
    return written
