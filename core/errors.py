"""The error vocabulary every layer raises; the GraphQL layer turns each into ``extensions.code``.

It lives at the bottom of the import graph so that domain code anywhere can raise it
without knowing about GraphQL.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    """Every ``extensions.code`` the API answers with (GraphQL's ``ErrorCode``)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    PROFILE_REQUIRED = "PROFILE_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    # Persisted queries (docs/persisted_queries.md); the first two are Apollo's own names.
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    TIMEOUT = "TIMEOUT"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class FlixError(Exception):
    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(FlixError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(FlixError):
    code = ErrorCode.FORBIDDEN


class NotFound(FlixError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(FlixError):
    code = ErrorCode.BAD_USER_INPUT


class Conflict(FlixError):
    code = ErrorCode.CONFLICT


class ProfileRequired(FlixError):
    code = ErrorCode.PROFILE_REQUIRED


class Unavailable(FlixError):
    """A store the request needs is down; the client should retry later."""

    code = ErrorCode.UNAVAILABLE


class RateLimited(FlixError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
