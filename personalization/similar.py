"""Similar titles ("More like this", "Because you watched X"): nearest by embedding cosine.

Callers pass the candidates a profile may see (maturity-filtered, say); this module only
orders them. The source title itself never appears. Candidates with an embedding come
first, closest first, when the source has one; the rest follow by genre overlap (Jaccard)
times popularity, which is also the whole answer for a source without an embedding: a
title nobody has watched yet still gets neighbours that share its genres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from personalization.ranking import popularity_factor
from personalization.vectors import FloatArray, Vector, cosine_similarity, has_direction


@dataclass(frozen=True, slots=True)
class TitleFacts:
    video_id: int
    popularity: float
    genres: frozenset[str] = frozenset()


def similar_titles(
    source: TitleFacts,
    candidates: Sequence[TitleFacts],
    title_vectors: Mapping[int, Vector],
    *,
    limit: int,
) -> list[int]:
    """Up to ``limit`` candidate ids, most similar first (ties: more popular, lower id)."""
    pool = [candidate for candidate in candidates if candidate.video_id != source.video_id]
    if not pool or limit <= 0:
        return []
    ids = np.asarray([candidate.video_id for candidate in pool])
    popularity = popularity_factor([candidate.popularity for candidate in pool])
    fallback = _genre_overlap(source, pool) * popularity
    source_vector = title_vectors.get(source.video_id)
    # Two tiers: 1 for embedded neighbours of an embedded source, 0 for the rest.
    tier = np.zeros(len(pool))
    cosines = np.zeros(len(pool))
    if source_vector is not None and has_direction(source_vector):
        embedded = [i for i, candidate in enumerate(pool) if candidate.video_id in title_vectors]
        if embedded:
            matrix = np.stack([title_vectors[pool[i].video_id] for i in embedded])
            cosines[embedded] = cosine_similarity(source_vector, matrix)
            tier[embedded] = 1.0
    order = np.lexsort((ids, -popularity, -fallback, -cosines, -tier))
    return [int(ids[i]) for i in order[:limit]]


def _genre_overlap(source: TitleFacts, pool: Sequence[TitleFacts]) -> FloatArray:
    overlap = np.zeros(len(pool))
    if not source.genres:
        return overlap
    for index, candidate in enumerate(pool):
        union = source.genres | candidate.genres
        overlap[index] = len(source.genres & candidate.genres) / len(union)
    return overlap
