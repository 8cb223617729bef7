"""Vector arithmetic shared by ranking and similar titles: unit rows and cosine similarity."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Vector = npt.NDArray[np.floating[Any]]

# Below this length a vector carries no direction (a profile whose only signals cancel
# out, say); treating it as missing beats dividing by almost zero.
MIN_NORM = 1e-9


def unit_rows(matrix: npt.ArrayLike) -> FloatArray:
    """``matrix`` (n, d) with each row scaled to length 1; rows of length ~0 become zeros."""
    rows = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    safe = np.where(norms > MIN_NORM, norms, 1.0)
    unit: FloatArray = np.where(norms > MIN_NORM, rows / safe, 0.0)
    return unit


def has_direction(vector: npt.ArrayLike) -> bool:
    return bool(np.linalg.norm(np.asarray(vector, dtype=np.float64)) > MIN_NORM)


def require_same_size(left: int, right: int) -> None:
    """Vectors of two models (a profile's from an older one, say) do not compare."""
    if left != right:
        raise ValueError(f"vectors of different sizes: {left} and {right}")


def cosine_similarity(left: npt.ArrayLike, right: npt.ArrayLike) -> FloatArray:
    """Cosines between the rows of ``left`` (u, d) and ``right`` (n, d), as (u, n).

    A single vector (d,) on the left gives (n,). A zero row has cosine 0 with everything.
    """
    left_array = np.asarray(left, dtype=np.float64)
    right_units = unit_rows(right)
    require_same_size(left_array.shape[-1], right_units.shape[-1])
    cosines: FloatArray = unit_rows(left_array) @ right_units.T
    # Rounding can step just outside [-1, 1]; downstream factors assume the closed range.
    np.clip(cosines, -1.0, 1.0, out=cosines)
    return cosines[0] if left_array.ndim == 1 else cosines
