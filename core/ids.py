"""Parsing the IDs clients send: a malformed one is bad input, not a missing object."""

from __future__ import annotations

from uuid import UUID

from core.errors import BadUserInput

_MAX_BIGINT = 2**63 - 1


def parse_int_id(value: str, what: str) -> int:
    if value.isascii() and value.isdigit() and 0 < int(value) <= _MAX_BIGINT:
        return int(value)
    raise BadUserInput(f"{value!r} is not a valid {what} id.")


def parse_uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise BadUserInput(f"{value!r} is not a valid {what} id.") from None
