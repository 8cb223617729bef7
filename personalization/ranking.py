"""Ranking within a row: cosine(profile, title) x popularity x recency, as the seed says.

    score = similarity ** a  *  popularity ** b  *  recency ** c

Each factor lies in [0, 1], so the product keeps the order the seed intends:

* ``similarity = (1 + cos) / 2``. The cosine itself is negative for titles far from the
  profile's taste, and a negative factor would flip the product: a more popular title it
  dislikes would score lower than an obscure one. Shifting to [0, 1] keeps cosine's order.
* ``popularity = (1 + log1p(p)) / (1 + log1p(p_max))``, p_max the largest among the
  candidates (or given). Logarithmic because popularity is heavy-tailed (on MovieLens the
  top title has 20x the median's ratings); the 1 + keeps a title nobody watched yet above 0.
* ``recency = 0.5 ** (age / half_life)``, age in years since the title became new to a
  viewer: the later of its release (taken as mid-year, as only the year is known) and its
  arrival in the catalogue, so a classic added last week counts as new on the service.

The exponents a, b, c weigh the factors against each other (scaling all three alike
changes nothing, so ``a`` is fixed and b, c are tuned relative to it). The defaults come
from a validation split carved from MovieLens-100k's training part (bench/recs_eval.py).

Fallbacks: a profile without an embedding is ranked by popularity alone (ties: newer
first); a title without an embedding, for a profile that has one, gets cosine 0, the
neutral middle of the range, so it ranks on popularity and recency below close matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from personalization.vectors import (
    FloatArray,
    Vector,
    has_direction,
    require_same_size,
    unit_rows,
)

SECONDS_PER_YEAR = 365.25 * 86_400.0
NEUTRAL_COSINE = 0.0


@dataclass(frozen=True, slots=True)
class RankWeights:
    similarity: float = 16.0  # a
    popularity: float = 3.0  # b
    # c: on MovieLens the best recency weights came out between 0 and 0.5, within noise of
    # each other: a rating log says little about launches. A streaming catalogue does
    # have them, so the product keeps a gentle lift: four years older halves the score.
    recency: float = 0.25
    half_life_years: float = 1.0


DEFAULT_RANK_WEIGHTS = RankWeights()


@dataclass(frozen=True, slots=True)
class Candidate:
    """What ranking needs to know about a title (callers pass only titles the profile may
    see: maturity and "already watched" are the caller's filters)."""

    video_id: int
    popularity: float
    release_year: int | None = None
    added_at: datetime | None = None


def similarity_factor(cosines: npt.ArrayLike) -> FloatArray:
    factor: FloatArray = (1.0 + np.asarray(cosines, dtype=np.float64)) / 2.0
    return factor


def popularity_factor(popularity: npt.ArrayLike, max_popularity: float | None = None) -> FloatArray:
    values = np.log1p(np.clip(np.asarray(popularity, dtype=np.float64), 0.0, None))
    top = float(values.max(initial=0.0))
    if max_popularity is not None:  # never below the candidates' own top: factors stay <= 1
        top = max(top, float(np.log1p(max(max_popularity, 0.0))))
    factor: FloatArray = (1.0 + values) / (1.0 + top)
    return factor


def title_age_years(
    release_years: Sequence[int | None], added_at: Sequence[datetime | None], now: datetime
) -> FloatArray:
    """Years since each title became new (see the module's docstring); NaN when unknown."""
    now_year = _decimal_year(now)
    ages = np.full(len(release_years), np.nan)
    for index, (year, added) in enumerate(zip(release_years, added_at, strict=True)):
        known = [now_year - (year + 0.5)] if year is not None else []
        if added is not None:
            known.append((now - added).total_seconds() / SECONDS_PER_YEAR)
        if known:
            ages[index] = max(0.0, min(known))  # a future date is new, not newer than new
    return ages


def recency_factor(age_years: npt.ArrayLike, half_life_years: float) -> FloatArray:
    """0.5 ** (age / half-life). An unknown age (NaN) counts as the median known age, so
    missing dates neither promote nor bury a title."""
    ages = np.asarray(age_years, dtype=np.float64)
    known = ages[~np.isnan(ages)]
    fill = float(np.median(known)) if known.size else 0.0
    factor: FloatArray = 0.5 ** (np.where(np.isnan(ages), fill, ages) / half_life_years)
    return factor


def combine(
    similarity: npt.ArrayLike | None,
    popularity: npt.ArrayLike,
    recency: npt.ArrayLike,
    weights: RankWeights = DEFAULT_RANK_WEIGHTS,
) -> FloatArray:
    """The product of the factors raised to their weights; broadcasts, so a (profiles,
    titles) similarity with (titles,) popularity and recency scores many profiles at once.
    ``similarity`` None is the no-embedding fallback: popularity alone."""
    popularity_part = np.asarray(popularity, dtype=np.float64) ** weights.popularity
    if similarity is None:
        return popularity_part
    similarity_part = np.asarray(similarity, dtype=np.float64) ** weights.similarity
    recency_part = np.asarray(recency, dtype=np.float64) ** weights.recency
    scores: FloatArray = similarity_part * popularity_part * recency_part
    return scores


@dataclass(frozen=True, slots=True, eq=False)
class RankingPool:
    """The half of :func:`rank` no profile changes, for one set of candidates: popularity,
    recency and the titles' unit vectors. Built once, it ranks the set for any profile."""

    ids: npt.NDArray[np.int64]
    popularity: FloatArray
    recency: FloatArray
    # (titles, d) unit rows, zeros for a title without a vector (its cosine is then
    # NEUTRAL_COSINE); None when no candidate has one.
    units: FloatArray | None
    weights: RankWeights

    def rank(self, profile_vector: Vector | None, limit: int | None = None) -> list[int]:
        """The candidates' ids for this profile, best first (see :func:`rank`)."""
        similarity: FloatArray | None = None
        if profile_vector is not None and has_direction(profile_vector):
            cosines = np.full(len(self.ids), NEUTRAL_COSINE)
            if self.units is not None:
                require_same_size(len(profile_vector), self.units.shape[1])
                # Rounding can step just outside [-1, 1]; the factors assume the closed range.
                cosines = np.clip(self.units @ unit_rows(profile_vector)[0], -1.0, 1.0)
            similarity = similarity_factor(cosines)
        scores = combine(similarity, self.popularity, self.recency, self.weights)
        order = np.lexsort((self.ids, -self.recency, -self.popularity, -scores))
        chosen: list[int] = self.ids[order if limit is None else order[:limit]].tolist()
        return chosen


def ranking_pool(
    candidates: Sequence[Candidate],
    title_vectors: Mapping[int, Vector],
    *,
    now: datetime,
    weights: RankWeights = DEFAULT_RANK_WEIGHTS,
    max_popularity: float | None = None,
) -> RankingPool:
    ids = [candidate.video_id for candidate in candidates]
    popularity = popularity_factor([c.popularity for c in candidates], max_popularity)
    ages = title_age_years(
        [c.release_year for c in candidates], [c.added_at for c in candidates], now
    )
    known = [i for i, video_id in enumerate(ids) if video_id in title_vectors]
    units: FloatArray | None = None
    if known:
        found = unit_rows(np.stack([title_vectors[ids[i]] for i in known]))
        units = np.zeros((len(ids), found.shape[1]))
        units[known] = found
    return RankingPool(
        ids=np.asarray(ids, dtype=np.int64),
        popularity=popularity,
        recency=recency_factor(ages, weights.half_life_years),
        units=units,
        weights=weights,
    )


def rank(
    candidates: Sequence[Candidate],
    profile_vector: Vector | None,
    title_vectors: Mapping[int, Vector],
    *,
    now: datetime,
    weights: RankWeights = DEFAULT_RANK_WEIGHTS,
    limit: int | None = None,
    max_popularity: float | None = None,
) -> list[int]:
    """Candidate ids, best first. Ties go to the more popular title, then the newer one,
    then the lower id, so a page is the same on every request.

    ``max_popularity`` scales popularity against the whole catalogue rather than this row;
    it changes scores, never the order within one call.
    """
    if not candidates:
        return []
    pool = ranking_pool(
        candidates, title_vectors, now=now, weights=weights, max_popularity=max_popularity
    )
    return pool.rank(profile_vector, limit)


def _decimal_year(moment: datetime) -> float:
    start = moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1)
    return moment.year + (moment - start).total_seconds() / (end - start).total_seconds()
