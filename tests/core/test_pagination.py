"""Relay paging arguments: bounds, and cursors only this API could have made."""

from __future__ import annotations

import base64

import pytest

from core.errors import BadUserInput
from core.pagination import DEFAULT_PAGE, MAX_PAGE, PageRequest, decode_cursor, encode_cursor


def test_a_cursor_round_trips_and_the_next_page_starts_after_it() -> None:
    assert decode_cursor(encode_cursor(41)) == 41
    assert PageRequest.parse(10, encode_cursor(41)) == PageRequest(offset=42, limit=10)
    assert PageRequest.parse(None, None) == PageRequest(offset=0, limit=DEFAULT_PAGE)


@pytest.mark.parametrize("first", [0, -1, MAX_PAGE + 1])
def test_first_is_bounded(first: int) -> None:
    with pytest.raises(BadUserInput):
        PageRequest.parse(first, None)


@pytest.mark.parametrize(
    "cursor",
    ["", "not base64 at all", base64.urlsafe_b64encode(b"offset:-3").decode(), "b2Zmc2V0Olx4"],
)
def test_a_forged_cursor_is_bad_input(cursor: str) -> None:
    with pytest.raises(BadUserInput):
        decode_cursor(cursor)
