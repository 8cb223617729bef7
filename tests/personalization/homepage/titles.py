"""Small catalogues for the pure homepage tests."""

from __future__ import annotations

from core.records import Video, VideoType


def video(
    video_id: int,
    *genres: str,
    popularity: float = 0.0,
    year: int | None = None,
    level: int = 1,
) -> Video:
    return Video(
        id=video_id,
        title=f"Title {video_id}",
        type=VideoType.MOVIE,
        release_year=year,
        duration_minutes=90,
        rating="G",
        maturity_level=level,
        genres=genres or ("Drama",),
        description="",
        poster_url=None,
        backdrop_url=None,
        popularity=popularity,
    )


def catalogue(count: int, *genres: str) -> dict[int, Video]:
    """Titles 1..count, less popular as the id grows."""
    return {i: video(i, *genres, popularity=float(count - i)) for i in range(1, count + 1)}
