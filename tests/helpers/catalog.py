"""A small catalog: one title per maturity level, filler to page through, a mature series."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.tables import episodes, seasons, videos

RATED = [("G", 1), ("PG", 2), ("PG-13", 3), ("R", 4), ("NC-17", 5)]

TITLES = ["Toy Story", "Babe", "Twelve Monkeys", "The Godfather", "Crash"]


async def seed_catalog(database_url: str) -> dict[str, int]:
    engine = create_async_engine(database_url)
    ids: dict[str, int] = {}
    async with engine.begin() as connection:
        for index, (title, (rating, level)) in enumerate(zip(TITLES, RATED, strict=True)):
            ids[title] = await connection.scalar(
                insert(videos)
                .values(
                    title=title,
                    type="MOVIE",
                    rating=rating,
                    maturity_level=level,
                    genres=["Drama"] if level > 1 else ["Animation", "Drama"],
                    popularity=100 - index,
                    release_year=1995,
                )
                .returning(videos.c.id)
            )
        for n in range(30):  # enough filler to page through
            await connection.execute(
                insert(videos).values(
                    title=f"Filler {n}",
                    type="MOVIE",
                    rating="PG",
                    maturity_level=2,
                    genres=["Comedy"],
                    popularity=0,
                )
            )
        series = await connection.scalar(
            insert(videos)
            .values(
                title="Harbour Nights",
                type="SERIES",
                rating="TV-MA",
                maturity_level=5,
                genres=["Drama"],
                popularity=1000,  # first on every page, so each page loads seasons
            )
            .returning(videos.c.id)
        )
        ids["Harbour Nights"] = series
        for number in (1, 2):
            season = await connection.scalar(
                insert(seasons)
                .values(video_id=series, season_number=number, title=f"Season {number}")
                .returning(seasons.c.id)
            )
            await connection.execute(
                insert(episodes),
                [
                    {
                        "season_id": season,
                        "video_id": series,
                        "episode_number": e,
                        "title": f"S{number}E{e}",
                        "duration_minutes": 45,
                    }
                    for e in (1, 2, 3)
                ],
            )
    await engine.dispose()
    return ids
