"""Client ids: a malformed one is bad input, never a lookup."""

from __future__ import annotations

from uuid import uuid4

import pytest

from core.errors import BadUserInput
from core.ids import parse_int_id, parse_uuid


def test_well_formed_ids_parse() -> None:
    assert parse_int_id("42", "video") == 42
    profile = uuid4()
    assert parse_uuid(str(profile), "profile") == profile


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "٣", "9" * 30, "", " 7"])
def test_malformed_int_ids_are_bad_input(value: str) -> None:
    with pytest.raises(BadUserInput, match="not a valid video id"):
        parse_int_id(value, "video")


def test_a_malformed_uuid_is_bad_input() -> None:
    with pytest.raises(BadUserInput, match="not a valid profile id"):
        parse_uuid("nope", "profile")
