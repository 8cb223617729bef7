"""Each vocabulary is defined once, in Python; the database's CHECK constraints, written by
migrations that are history, must still say the same."""

from __future__ import annotations

import re

import pytest

from core import maturity
from core.errors import ErrorCode, FlixError
from core.plans import Plan
from core.records import VideoType
from core.thumbs import STORED_SCORES, Thumbs
from core.viewing_records import TitleStateKind
from datasources.tables import metadata
from experiments.model import Status
from tests.helpers.aio import blocking


def _database_checks(database_url: str) -> dict[str, str]:
    import asyncpg

    async def read() -> dict[str, str]:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
        try:
            rows = await connection.fetch(
                "SELECT conname, pg_get_constraintdef(oid) AS definition"
                " FROM pg_constraint WHERE contype = 'c'"
            )
        finally:
            await connection.close()
        return {row["conname"]: row["definition"] for row in rows}

    return blocking(read())


@pytest.fixture(scope="module")
def checks(database_url: str) -> dict[str, str]:
    """CHECK constraint name -> its definition, as the migrated database has it."""
    return _database_checks(database_url)


def _words(definition: str) -> list[str]:
    """The quoted words (PostgreSQL quotes negative numbers too: those are numbers)."""
    return [w for w in re.findall(r"'([^']*)'", definition) if not re.fullmatch(r"-?\d+", w)]


def _numbers(definition: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?<![\w.])-?\d+", definition)]


@pytest.mark.parametrize(
    ("constraint", "vocabulary"),
    [
        ("ck_accounts_plan", Plan),
        ("ck_videos_type", VideoType),
        ("ck_viewing_titles_state", TitleStateKind),
        ("ck_experiments_status", Status),
    ],
)
def test_string_checks_list_the_enum(
    checks: dict[str, str], constraint: str, vocabulary: type[Plan]
) -> None:
    assert _words(checks[constraint]) == [member.value for member in vocabulary]


def test_the_ratings_check_lists_the_stored_thumbs(checks: dict[str, str]) -> None:
    assert sorted(_numbers(checks["ck_ratings_rating"])) == list(STORED_SCORES)
    assert {Thumbs.of_score(score) for score in STORED_SCORES} == set(Thumbs) - {Thumbs.NONE}


def test_maturity_checks_span_the_levels(checks: dict[str, str]) -> None:
    for table in ("videos", "profiles"):
        assert _numbers(checks[f"ck_{table}_maturity_level"]) == [maturity.LOWEST, maturity.HIGHEST]
    assert _numbers(checks["ck_profiles_kids_maturity"]) == [maturity.KIDS_MAX]
    assert set(maturity.RATING_LEVELS.values()) == set(range(maturity.LOWEST, maturity.HIGHEST + 1))
    assert set(maturity.RATING_LEVELS) == set(maturity.ContentRating)


def test_the_tables_spell_the_same_checks_as_the_database(checks: dict[str, str]) -> None:
    """tables.py derives its CHECKs from the enums: the same values as the migrations."""
    for table in metadata.sorted_tables:
        for constraint in table.constraints:
            sql = getattr(constraint, "sqltext", None)
            if sql is None or constraint.name not in checks:
                continue
            ours, theirs = str(sql), checks[str(constraint.name)]
            assert _words(ours) == _words(theirs), constraint.name
            assert _numbers(ours) == _numbers(theirs), constraint.name


def test_every_domain_error_has_a_code_of_the_vocabulary() -> None:
    errors: list[type[FlixError]] = [FlixError, *FlixError.__subclasses__()]
    codes = {error.code for error in errors}
    assert codes <= set(ErrorCode)
