"""The error vocabulary every layer raises; the GraphQL layer turns each into ``extensions.code``.

It lives at the bottom of the import graph so that domain code anywhere can raise it
without knowing about GraphQL.
"""

from __future__ import annotations

from typing import ClassVar


class FlixError(Exception):
    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(FlixError):
    code = "UNAUTHENTICATED"


class Forbidden(FlixError):
    code = "FORBIDDEN"


class NotFound(FlixError):
    code = "NOT_FOUND"


class BadUserInput(FlixError):
    code = "BAD_USER_INPUT"


class Conflict(FlixError):
    code = "CONFLICT"


class ProfileRequired(FlixError):
    code = "PROFILE_REQUIRED"


class RateLimited(FlixError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
