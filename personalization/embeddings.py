"""Profile and title embeddings learnt from implicit feedback with ``implicit``'s ALS.

One ALS run lands in one of many local optima, and which one depends on the seed. So we
train a small bag of models with consecutive seeds and concatenate their unit-length
factors, each block scaled by 1/sqrt(models). The result is again a unit vector, and the
cosine of two such vectors is the mean of the per-model cosines. On bench/recs_eval.py's
validation split, five seeds of one model scored Recall@10 0.192..0.209 (mean 0.200);
five bags of five scored 0.208..0.214 (mean 0.211). Everything is seeded: the same
preferences and parameters give the same vectors, whatever order the rows came in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse
import threadpoolctl  # type: ignore[import-untyped]
from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]

from personalization.signals import Preference
from personalization.vectors import MIN_NORM, unit_rows

K = TypeVar("K", bound=Hashable)
P = TypeVar("P", bound=Hashable)

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class AlsParams:
    """ALS settings. The defaults were tuned on a validation split carved from the training
    part of MovieLens-100k (see bench/recs_eval.py), never on its test part."""

    factors: int = 32
    regularization: float = 3.0
    alpha: float = 5.0  # scales every confidence; the signal weights set the proportions
    iterations: int = 15
    models: int = 5  # the bag: consecutive seeds from `seed`
    seed: int = 0
    # 0 uses every core. Results do not depend on it: each row is solved on its own.
    threads: int = 0

    @property
    def dimensions(self) -> int:
        return self.factors * self.models


DEFAULT_ALS_PARAMS = AlsParams()


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class Vectors(Generic[K]):
    """Unit-length embeddings: row i of ``matrix`` belongs to ``ids[i]``."""

    ids: tuple[K, ...]
    matrix: Matrix
    _positions: dict[K, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.matrix.ndim != 2 or self.matrix.shape[0] != len(self.ids):
            raise ValueError(f"{len(self.ids)} ids for a matrix of shape {self.matrix.shape}")
        object.__setattr__(self, "_positions", {key: row for row, key in enumerate(self.ids)})

    @property
    def dimensions(self) -> int:
        return int(self.matrix.shape[1])

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, key: object) -> bool:
        return key in self._positions

    def get(self, key: K) -> Matrix | None:
        row = self._positions.get(key)
        return None if row is None else self.matrix[row]

    def as_dict(self) -> dict[K, Matrix]:
        return {key: self.matrix[row] for row, key in enumerate(self.ids)}


@dataclass(frozen=True, eq=False)
class Embeddings(Generic[P]):
    """Profiles and titles in one space; only those with feedback have a vector."""

    profiles: Vectors[P]
    titles: Vectors[int]


def train_embeddings(
    preferences: Sequence[Preference[P]],
    params: AlsParams = DEFAULT_ALS_PARAMS,
    on_progress: Callable[[float], None] | None = None,
) -> Embeddings[P]:
    """Embeddings for every profile and title that appears in ``preferences``.

    ``on_progress`` gets the fraction done (0..1) after every ALS iteration.
    """
    # Sorted so that the rows, and so the seeded initial factors, do not depend on the
    # order the preferences came in; str() orders UUIDs and ints alike.
    profile_ids = tuple(sorted({p.profile_id for p in preferences}, key=str))
    title_ids = tuple(sorted({p.video_id for p in preferences}))
    if not preferences:
        empty = np.zeros((0, params.dimensions), dtype=np.float32)
        return Embeddings(Vectors(profile_ids, empty), Vectors(title_ids, empty.copy()))
    matrix = _confidence_matrix(preferences, profile_ids, title_ids)
    total_steps = params.models * params.iterations
    profile_blocks: list[Matrix] = []
    title_blocks: list[Matrix] = []
    for index in range(params.models):
        done_before = index * params.iterations

        def report(iteration: int, _seconds: float, _loss: Any, before: int = done_before) -> None:
            if on_progress is not None:
                on_progress((before + iteration + 1) / total_steps)

        users, items = _fit_one(matrix, params, params.seed + index, report)
        profile_blocks.append(users)
        title_blocks.append(items)
    return Embeddings(
        _bagged(profile_ids, profile_blocks),
        _bagged(title_ids, title_blocks),
    )


def _confidence_matrix(
    preferences: Sequence[Preference[P]], profile_ids: Sequence[P], title_ids: Sequence[int]
) -> scipy.sparse.csr_matrix:
    profile_row = {key: row for row, key in enumerate(profile_ids)}
    title_column = {key: column for column, key in enumerate(title_ids)}
    rows = np.fromiter((profile_row[p.profile_id] for p in preferences), dtype=np.int64)
    columns = np.fromiter((title_column[p.video_id] for p in preferences), dtype=np.int64)
    values = np.fromiter((p.confidence for p in preferences), dtype=np.float32)
    shape = (len(profile_ids), len(title_ids))
    # Duplicate cells add up: two signals about one title are more evidence, not less.
    matrix = scipy.sparse.csr_matrix((values, (rows, columns)), shape=shape)
    matrix.eliminate_zeros()
    return matrix


def _fit_one(
    matrix: scipy.sparse.csr_matrix,
    params: AlsParams,
    seed: int,
    callback: Callable[[int, float, Any], None],
) -> tuple[Matrix, Matrix]:
    # implicit solves each row with its own threads; a multi-threaded BLAS underneath
    # only fights them (implicit warns about it), so BLAS gets one thread while we fit.
    with threadpoolctl.threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=seed,
            num_threads=params.threads,
        )
        model.fit(matrix, show_progress=False, callback=callback)
    users = np.asarray(model.user_factors, dtype=np.float32)
    items = np.asarray(model.item_factors, dtype=np.float32)
    return users, items


def _bagged(ids: tuple[K, ...], blocks: Sequence[Matrix]) -> Vectors[K]:
    """Unit blocks side by side, scaled so the whole is unit length again; rows that end
    up without a direction (every block zero) are left out, as if never trained."""
    scale = 1.0 / math.sqrt(len(blocks))
    joined = np.hstack([unit_rows(block) * scale for block in blocks])
    joined = unit_rows(joined)
    keep = np.linalg.norm(joined, axis=1) > MIN_NORM
    kept_ids = tuple(key for key, kept in zip(ids, keep, strict=True) if kept)
    return Vectors(kept_ids, np.ascontiguousarray(joined[keep], dtype=np.float32))
