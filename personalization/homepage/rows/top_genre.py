"""Top genre rows: the profile's three best genres (or, without history, the catalogue's),
each ranked by the profile's taste (or by popularity on the generic page)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from core.records import Video
from personalization.homepage.facts import PageFacts, ViewerFacts
from personalization.homepage.model import RowKind, RowPlan
from personalization.homepage.ranked import by_popularity, ranked

GENRES = 3


def genre_affinity(weighted_titles: Iterable[tuple[Video, float]]) -> list[str]:
    """Genres by the summed weight of the titles that speak for them (best first)."""
    scores: dict[str, float] = {}
    for video, weight in weighted_titles:
        for genre in video.genres:
            scores[genre] = scores.get(genre, 0.0) + weight
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [genre for genre, score in best if score > 0]


def popular_genres(allowed: Mapping[int, Video]) -> list[str]:
    """For a profile with no history: the genres with the largest, most watched catalogue."""
    return genre_affinity((video, 1 + math.log1p(video.popularity)) for video in allowed.values())


def _evidence(viewer: ViewerFacts, allowed: Mapping[int, Video]) -> list[tuple[Video, float]]:
    """What speaks for a genre: a finished title twice what a started one does, a listed
    title as much as a started one, a thumb twice that (for or against)."""
    evidence = [
        (allowed[vid], 2.0 if vid in viewer.finished else 1.0)
        for vid in viewer.started
        if vid in allowed
    ]
    evidence += [(allowed[vid], 1.0) for vid in viewer.listed if vid in allowed]
    evidence += [
        (allowed[vid], 2.0 * value) for vid, value in viewer.thumbs.items() if vid in allowed
    ]
    return evidence


def plans(facts: PageFacts) -> list[RowPlan]:
    viewer = facts.viewer
    if viewer is None:
        return [
            RowPlan(
                f"genre:{genre}",
                RowKind.TOP_GENRE,
                f"Popular in {genre}",
                by_popularity(v for v in facts.allowed.values() if genre in v.genres),
            )
            for genre in popular_genres(facts.allowed)[:GENRES]
        ]
    genres = genre_affinity(_evidence(viewer, facts.allowed)) or popular_genres(facts.allowed)
    return [
        RowPlan(
            f"genre:{genre}",
            RowKind.TOP_GENRE,
            f"Top Picks in {genre}",
            ranked((v for v in facts.fresh.values() if genre in v.genres), viewer.score),
        )
        for genre in genres[:GENRES]
    ]
