"""The GraphQL enums are the domains' own enums, and ErrorCode lists every extensions.code."""

from __future__ import annotations

from enum import StrEnum

import pytest
from graphql import GraphQLEnumType

from core.errors import ErrorCode
from core.plans import Plan
from core.records import VideoType
from core.telemetry import PlaybackEventType
from core.thumbs import Thumbs
from personalization.homepage import PageSource, RowKind
from schema.assembly import build_schema
from tests.helpers.api import Api


@pytest.mark.parametrize(
    ("name", "vocabulary"),
    [
        ("ErrorCode", ErrorCode),
        ("Plan", Plan),
        ("VideoType", VideoType),
        ("Rating", Thumbs),
        ("PlaybackEventType", PlaybackEventType),
        ("RowKind", RowKind),
        ("PageSource", PageSource),
    ],
)
def test_sdl_enums_are_the_python_enums(name: str, vocabulary: type[StrEnum]) -> None:
    found = build_schema()._schema.get_type(name)
    assert isinstance(found, GraphQLEnumType)
    assert list(found.values) == [member.name for member in vocabulary]
    assert [member.name for member in vocabulary] == [member.value for member in vocabulary]


def test_error_codes_are_in_the_sdl_though_no_field_returns_them() -> None:
    sdl = build_schema().as_str()
    assert "enum ErrorCode {" in sdl
    assert ": ErrorCode" not in sdl


def test_answered_codes_are_of_the_vocabulary(api: Api, catalog: dict[str, int]) -> None:
    assert api.error_code("{ me { id } nope }") in set(ErrorCode)
    assert api.error_code("{ continueWatching { percentComplete } }") in set(ErrorCode)
