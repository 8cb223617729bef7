"""Similar titles: nearest by embedding, never the title itself, only allowed candidates."""

from __future__ import annotations

import numpy as np

from personalization.similar import TitleFacts, similar_titles

VECTORS = {
    1: np.array([1.0, 0.0, 0.0], dtype=np.float32),
    2: np.array([0.9, 0.1, 0.0], dtype=np.float32),
    3: np.array([0.5, 0.5, 0.0], dtype=np.float32),
    4: np.array([0.0, 1.0, 0.0], dtype=np.float32),
    5: np.array([-1.0, 0.0, 0.0], dtype=np.float32),
}
FACTS = {
    1: TitleFacts(1, 10.0, frozenset({"Drama"})),
    2: TitleFacts(2, 10.0, frozenset({"Comedy"})),
    3: TitleFacts(3, 10.0, frozenset({"Drama"})),
    4: TitleFacts(4, 10.0, frozenset({"Horror"})),
    5: TitleFacts(5, 10.0, frozenset({"Drama", "Crime"})),
    6: TitleFacts(6, 500.0, frozenset({"Drama"})),  # no embedding: nobody watched it yet
    7: TitleFacts(7, 900.0, frozenset({"Western"})),  # no embedding either
}


def _similar(source: int, allowed: list[int] | None = None, limit: int = 10) -> list[int]:
    pool = [FACTS[i] for i in (allowed if allowed is not None else sorted(FACTS))]
    return similar_titles(FACTS[source], pool, VECTORS, limit=limit)


def test_nearest_by_cosine_first_then_titles_without_embeddings() -> None:
    assert _similar(1) == [2, 3, 4, 5, 6, 7]


def test_never_the_title_itself() -> None:
    for source in FACTS:
        assert source not in _similar(source)


def test_only_the_allowed_candidates() -> None:
    # The caller's allow-set (maturity filtering, say) is all that can come back.
    assert _similar(1, allowed=[1, 3, 5, 7]) == [3, 5, 7]
    assert _similar(1, allowed=[1]) == []
    assert _similar(1, allowed=[]) == []


def test_limit() -> None:
    assert _similar(1, limit=2) == [2, 3]
    assert _similar(1, limit=0) == []


def test_a_title_without_embedding_gets_neighbours_by_genre_and_popularity() -> None:
    # Shares Drama with 1, 3, 5 (5 only half its genres); equal popularity: Jaccard decides.
    ranked = _similar(6)
    assert ranked[:3] == [1, 3, 5]
    # No shared genre: by popularity.
    assert ranked[3:] == [7, 2, 4]


def test_a_source_without_genres_or_embedding_falls_back_to_popularity() -> None:
    source = TitleFacts(99, 1.0)
    pool = [FACTS[2], FACTS[7], FACTS[6]]
    assert similar_titles(source, pool, VECTORS, limit=3) == [7, 6, 2]


def test_the_order_among_a_subset_is_the_order_among_the_whole_with_the_rest_left_out() -> None:
    # What lets the personalizer rank a seed once per catalogue and serve every profile's
    # own subset from it (personalization/homepage/personalizer.py).
    rng = np.random.default_rng(7)
    genres = ["Drama", "Comedy", "Horror", "Crime", "Western"]
    for _ in range(50):
        count = int(rng.integers(5, 60))
        facts = [
            TitleFacts(
                i,
                float(rng.choice([0.0, 3.0, 10.0, float(rng.integers(0, 1000))])),
                frozenset(g for g in genres if rng.random() < 0.4),
            )
            for i in range(1, count + 1)
        ]
        vectors = {
            f.video_id: rng.normal(size=4).astype(np.float32) for f in facts if rng.random() < 0.7
        }
        source = facts[int(rng.integers(0, count))]
        whole = similar_titles(source, facts, vectors, limit=count)
        subset = [f for f in facts if rng.random() < 0.6]
        kept = {f.video_id for f in subset}
        assert similar_titles(source, subset, vectors, limit=count) == [
            vid for vid in whole if vid in kept
        ]
