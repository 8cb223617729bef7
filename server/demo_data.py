"""Fill a database with a demo catalog (MovieLens movies, three series, one generated HDR
test pattern) and demo accounts.

Every write here is an idempotent upsert, so running it again changes nothing, and an
import cut short resumes where it stopped.

Demo accounts (all with the password ``flix-demo-password``; the ``.test`` domain is
reserved, so these can never be real addresses):

- ``viewer@flix.test``: US, PREMIUM; profiles "Alex" (adult, maturity 4) and "Kids"
  (kids, maturity 2).
- ``admin@flix.test`` (role ``admin``), ``content@flix.test`` (``content_admin``),
  ``experiments@flix.test`` (``experiment_admin``): one adult profile each, at maturity 5
  so that staff can see the whole catalog, the TV-MA series included.

Every demo account also holds ``account_owner``. An account that already exists under one
of these emails keeps its password; it still gets the demo roles and profiles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Table, func, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.passwords import hash_password
from core.maturity import ContentRating
from core.plans import Plan
from core.records import VideoType
from datasources.movielens import (
    Movie,
    synthetic_description,
    synthetic_duration,
    synthetic_rating,
)
from datasources.tables import account_roles, accounts, episodes, profiles, seasons, videos
from media.demo import HDR_PATTERN_EXTERNAL_ID

DEMO_PASSWORD = "flix-demo-password"
# 200 rows x 10 columns stays far below asyncpg's 32,767 bind parameters per statement, and
# one batch is one transaction: an interrupt loses at most one batch, which a rerun redoes.
BATCH_SIZE = 200

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def __add__(self, other: ImportReport) -> ImportReport:
        return ImportReport(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


# --- upserts ----------------------------------------------------------------------------


async def _upsert(
    connection: AsyncConnection, table: Table, rows: Sequence[Row], key: Sequence[str]
) -> ImportReport:
    """Insert ``rows``, or update the row with the same ``key`` where a value differs.

    The WHERE clause makes an identical row a no-op: it is not rewritten, so a rerun
    creates no dead tuples and the report can say "unchanged".
    """
    if not rows:
        return ImportReport()
    statement = insert(table).values(list(rows))
    changing = [name for name in rows[0] if name not in key]
    current = tuple_(*(table.c[name] for name in changing))
    incoming = tuple_(*(statement.excluded[name] for name in changing))
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={name: statement.excluded[name] for name in changing},
        where=current.is_distinct_from(incoming),
    )
    # xmax is 0 only on a freshly inserted row version: the usual PostgreSQL way to tell
    # an insert from an update in one upsert. Skipped (unchanged) rows return nothing.
    returning = statement.returning(literal_column("xmax = 0", Boolean))
    flags: list[bool] = list((await connection.execute(returning)).scalars())
    inserted = sum(1 for flag in flags if flag)
    return ImportReport(inserted, len(flags) - inserted, len(rows) - len(flags))


# --- movies -----------------------------------------------------------------------------


def movie_row(movie: Movie) -> Row:
    """The ``videos`` columns an import owns. Poster and backdrop URLs are not among them,
    so a re-import leaves artwork that staff have set alone."""
    rating, maturity_level = synthetic_rating(movie.genres)
    return {
        "external_id": movie.external_id,
        "title": movie.title,
        "type": VideoType.MOVIE,
        "release_year": movie.release_year,
        "duration_minutes": synthetic_duration(movie.movielens_id),
        "rating": rating,
        "maturity_level": maturity_level,
        "genres": list(movie.genres),
        "description": synthetic_description(movie.release_year, movie.genres),
        "popularity": float(movie.rating_count),
    }


async def import_catalog(
    engine: AsyncEngine,
    movies: Sequence[Movie],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upsert ``movies`` as videos keyed by ``movielens:<id>``, one transaction per batch.

    ``progress`` is called after each committed batch with the number of movies in it.
    """
    _check_unique(movies)
    report = ImportReport()
    for start in range(0, len(movies), BATCH_SIZE):
        batch = movies[start : start + BATCH_SIZE]
        async with engine.begin() as connection:
            report += await _upsert(
                connection, videos, [movie_row(m) for m in batch], ["external_id"]
            )
        if progress is not None:
            progress(len(batch))
    return report


def _check_unique(movies: Sequence[Movie]) -> None:
    # PostgreSQL refuses an upsert that touches one row twice; say why before it does.
    ids = [movie.movielens_id for movie in movies]
    if len(set(ids)) != len(ids):
        raise ValueError("movies must have distinct movielens ids")


# --- demo series ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoSeries:
    slug: str
    title: str
    rating: ContentRating
    genres: tuple[str, ...]
    release_year: int
    description: str
    popularity: float
    episode_minutes: int
    # One tuple per season, of (episode title, episode description).
    seasons: tuple[tuple[tuple[str, str], ...], ...]

    @property
    def external_id(self) -> str:
        return f"demo:series:{self.slug}"

    @property
    def maturity_level(self) -> int:
        return self.rating.level


DEMO_SERIES = (
    DemoSeries(
        slug="pip-and-the-paper-boats",
        title="Pip and the Paper Boats",
        rating=ContentRating.TV_Y,
        genres=("Animation", "Children's"),
        release_year=2021,
        description="A curious duckling folds paper boats and sails them to new friends.",
        popularity=240.0,
        episode_minutes=11,
        seasons=(
            (
                ("The First Fold", "Pip learns to fold a boat that floats."),
                ("Rainy Day Regatta", "A puddle becomes the biggest race on the farm."),
                ("The Frog Who Could Not Swim", "Pip builds a raft for a nervous frog."),
                ("Lost and Found", "A boat drifts away and comes back with a letter."),
            ),
            (
                ("A Boat for Grandma", "Pip folds a gift that must cross the whole pond."),
                ("Windy Wednesday", "The wind has other plans for today's voyage."),
                ("The Lighthouse Game", "Friends take turns guiding boats home by lantern."),
                ("Snow Boats", "Can a paper boat sail on snow?"),
                ("The Great Pond Parade", "Every boat from the season sails together."),
            ),
        ),
    ),
    DemoSeries(
        slug="the-lighthouse-keepers",
        title="The Lighthouse Keepers",
        rating=ContentRating.TV_PG,
        genres=("Drama", "Comedy"),
        release_year=2019,
        description="Three generations of one family run the last manned lighthouse on the coast.",
        popularity=180.0,
        episode_minutes=44,
        seasons=(
            (
                ("The Inheritance", "Nora comes home to find the lighthouse left to her."),
                ("Fog Signal", "A stranded ferry tests the family's patience and the horn."),
                ("Keeper's Log", "An old logbook hints at a secret on the island."),
            ),
            (
                ("Winter Quarters", "Storms cut the island off for a week."),
                ("The Inspector", "The coastguard threatens to automate the light."),
                ("Open House", "A tourist weekend goes charmingly wrong."),
                ("The Long Night", "Nora keeps the lamp lit through a blackout."),
            ),
            (
                ("New Hands", "A teenage apprentice arrives with big ideas."),
                ("Wreck Divers", "A search for a sunken schooner stirs old grudges."),
                ("Last Light", "The family decides the lighthouse's future."),
            ),
        ),
    ),
    DemoSeries(
        slug="cold-harbour",
        title="Cold Harbour",
        rating=ContentRating.TV_MA,
        genres=("Crime", "Drama", "Thriller"),
        release_year=2023,
        description="A detective returns to the port town that buried her father's murder.",
        popularity=300.0,
        episode_minutes=55,
        seasons=(
            (
                ("Low Tide", "A body surfaces under the harbour's oldest pier."),
                ("Manifest", "A shipping ledger does not add up."),
                ("Night Shift", "The docks change hands after dark."),
                ("The Informant", "A witness asks for protection nobody can give."),
                ("Salt", "An old case file goes missing from the station."),
                ("Breakwater", "The truth about the pier comes out, at a price."),
            ),
            (
                ("Undertow", "A year later, a new killing follows the old pattern."),
                ("Cargo", "A container arrives with no sender."),
                ("Family Business", "The harbourmaster's son makes a choice."),
                ("Dead Reckoning", "The detective goes off the books."),
                ("High Water", "A storm traps everyone on the quay for one night."),
            ),
        ),
    ),
)


# The demo's HDR title: no real HDR footage ships with the project, so the demo media step
# (media.demo) generates a 4K HDR10 test pattern for it. The catalog says so.
HDR_PATTERN: Row = {
    "external_id": HDR_PATTERN_EXTERNAL_ID,
    "title": "Test Pattern in 4K HDR (generated)",
    "type": VideoType.MOVIE,
    "release_year": 2026,
    "duration_minutes": 1,
    "rating": ContentRating.G,
    "maturity_level": ContentRating.G.level,
    "genres": ["Documentary"],
    "description": (
        "Generated, not filmed: ffmpeg's testsrc2 pattern, 3840x2160, mapped into BT.2020 "
        "and PQ (HDR10) in 10 bits. Shows the 2160p AV1 and HDR renditions on devices "
        "that declare AV1; others get an SDR H.264 ladder tone-mapped from it."
    ),
    "popularity": 50.0,
}


async def _seed_series(connection: AsyncConnection, series: DemoSeries) -> None:
    video_id = await _upsert_series_video(connection, series)
    season_rows = [
        {"video_id": video_id, "season_number": number, "title": f"Season {number}"}
        for number in range(1, len(series.seasons) + 1)
    ]
    await _upsert(connection, seasons, season_rows, ["video_id", "season_number"])
    season_ids = await _season_ids(connection, video_id)
    episode_rows = [
        _episode_row(series, video_id, season_ids[number], index, title, description)
        for number, season in enumerate(series.seasons, start=1)
        for index, (title, description) in enumerate(season, start=1)
    ]
    await _upsert(connection, episodes, episode_rows, ["season_id", "episode_number"])


async def _upsert_series_video(connection: AsyncConnection, series: DemoSeries) -> int:
    row = {
        "external_id": series.external_id,
        "title": series.title,
        "type": VideoType.SERIES,
        "release_year": series.release_year,
        "duration_minutes": None,  # a series has no single running time; episodes do
        "rating": series.rating,
        "maturity_level": series.maturity_level,
        "genres": list(series.genres),
        "description": series.description,
        "popularity": series.popularity,
    }
    await _upsert(connection, videos, [row], ["external_id"])
    # Read the id back: an unchanged row returns nothing from the upsert.
    result = await connection.execute(
        select(videos.c.id).where(videos.c.external_id == series.external_id)
    )
    video_id: int = result.scalar_one()
    return video_id


async def _season_ids(connection: AsyncConnection, video_id: int) -> Mapping[int, int]:
    result = await connection.execute(
        select(seasons.c.season_number, seasons.c.id).where(seasons.c.video_id == video_id)
    )
    return {number: season_id for number, season_id in result}


def _episode_row(
    series: DemoSeries, video_id: int, season_id: int, number: int, title: str, description: str
) -> Row:
    return {
        "season_id": season_id,
        "video_id": video_id,
        "episode_number": number,
        "title": title,
        # A little variety around the series' usual length, the same on every run.
        "duration_minutes": series.episode_minutes + (number * 3) % 5,
        "description": description,
    }


# --- demo accounts ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoProfile:
    name: str
    maturity_level: int
    is_kids: bool = False


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    roles: tuple[str, ...]
    profiles: tuple[DemoProfile, ...]
    country: str = "US"
    plan: Plan = Plan.PREMIUM


DEMO_ACCOUNTS = (
    DemoAccount(
        "viewer@flix.test",
        ("account_owner",),
        (DemoProfile("Alex", 4), DemoProfile("Kids", 2, is_kids=True)),
    ),
    DemoAccount("admin@flix.test", ("account_owner", "admin"), (DemoProfile("Admin", 5),)),
    DemoAccount(
        "content@flix.test", ("account_owner", "content_admin"), (DemoProfile("Content", 5),)
    ),
    DemoAccount(
        "experiments@flix.test",
        ("account_owner", "experiment_admin"),
        (DemoProfile("Experiments", 5),),
    ),
)


async def _seed_accounts(connection: AsyncConnection) -> None:
    emails = [account.email for account in DEMO_ACCOUNTS]
    existing = await _account_ids(connection, emails)
    missing = [account for account in DEMO_ACCOUNTS if account.email not in existing]
    if missing:
        # argon2 is deliberately slow: hash only for accounts that do not exist yet, and
        # off the event loop.
        hashes = await asyncio.to_thread(lambda: [hash_password(DEMO_PASSWORD) for _ in missing])
        rows = [
            {"email": a.email, "password_hash": h, "country": a.country, "plan": a.plan}
            for a, h in zip(missing, hashes, strict=True)
        ]
        await _insert_new(connection, accounts, rows, [func.lower(accounts.c.email)])
    ids = await _account_ids(connection, emails)
    role_key = [account_roles.c.account_id, account_roles.c.role]
    await _insert_new(connection, account_roles, _role_rows(ids), role_key)
    profile_key = [profiles.c.account_id, func.lower(profiles.c.name)]
    await _insert_new(connection, profiles, _profile_rows(ids), profile_key)


async def _account_ids(connection: AsyncConnection, emails: Sequence[str]) -> dict[str, Any]:
    lowered = func.lower(accounts.c.email)
    result = await connection.execute(
        select(lowered, accounts.c.id).where(lowered.in_([email.lower() for email in emails]))
    )
    return {email: account_id for email, account_id in result}


async def _insert_new(
    connection: AsyncConnection,
    table: Table,
    rows: Sequence[Row],
    unique: Sequence[ColumnElement[Any]],
) -> None:
    """Insert the rows whose ``unique`` key is new; existing rows are left as they are."""
    statement = insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=unique)
    await connection.execute(statement)


def _role_rows(ids: Mapping[str, Any]) -> list[Row]:
    return [
        {"account_id": ids[account.email], "role": role}
        for account in DEMO_ACCOUNTS
        for role in account.roles
    ]


def _profile_rows(ids: Mapping[str, Any]) -> list[Row]:
    return [
        {
            "account_id": ids[account.email],
            "name": profile.name,
            "is_kids": profile.is_kids,
            "maturity_level": profile.maturity_level,
        }
        for account in DEMO_ACCOUNTS
        for profile in account.profiles
    ]


# --- entry point ------------------------------------------------------------------------


async def seed_demo(engine: AsyncEngine) -> None:
    """Create the demo series and accounts, or leave them as they are if they exist."""
    async with engine.begin() as connection:
        for series in DEMO_SERIES:
            await _seed_series(connection, series)
        await _upsert(connection, videos, [HDR_PATTERN], ["external_id"])
        await _seed_accounts(connection)
