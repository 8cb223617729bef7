"""Relay-style paging arguments: ``first`` 1..100 and an opaque ``after`` cursor."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from core.errors import BadUserInput

MAX_PAGE = 100
DEFAULT_PAGE = 20
_PREFIX = "offset:"
# Past PostgreSQL's bigint a forged offset would fail in SQL (INTERNAL), not here.
_MAX_OFFSET = 2**31


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        offset = int(text.removeprefix(_PREFIX)) if text.startswith(_PREFIX) else -1
        if 0 <= offset <= _MAX_OFFSET:
            return offset
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise BadUserInput("`after` is not a cursor this API returned.")


@dataclass(frozen=True)
class PageRequest:
    offset: int
    limit: int

    @classmethod
    def parse(cls, first: int | None, after: str | None) -> PageRequest:
        limit = DEFAULT_PAGE if first is None else first
        if not 1 <= limit <= MAX_PAGE:
            raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE}.")
        offset = 0 if after is None else decode_cursor(after) + 1
        return cls(offset, limit)
