"""Idempotency records (the IETF ``Idempotency-Key`` draft): the first answer to a keyed
request, kept 24 hours in Redis, so that a retry gets that answer back instead of the work
being done twice.

Plain Python: which requests take part and what the answers look like on the wire is the
HTTP side's business (``server/idempotency.py``). A record lives at
``idempotency:<subject>:<sha256 of the key>`` (the subject is ``account:<id>``, or ``ip:<host>``
when signed out) and is one JSON value: first an in-flight marker, then the stored answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

RECORD_TTL_SECONDS = 24 * 3600
# How long an in-flight marker outlives a worker that died mid-request: past it, a retry runs
# the request again (on another worker or region). An operation is cancelled at its deadline
# (server/operation_bounds.py), so the marker lasts that long plus a margin for the answer to
# be stored; longer would refuse a dead request's retries (409) for nothing.
IN_FLIGHT_MARGIN_SECONDS = 5


def in_flight_seconds(deadline_seconds: float) -> int:
    return math.ceil(deadline_seconds) + IN_FLIGHT_MARGIN_SECONDS


IN_FLIGHT_TTL_SECONDS = in_flight_seconds(10.0)  # at the default operation deadline
KEY_MAX_LENGTH = 255


class InvalidKey(ValueError):
    pass


def parse_key(values: list[str]) -> str:
    """The key of the Idempotency-Key header values: one sf-string (``"abc"``) as the draft
    defines it, or the bare token many clients send, of printable ASCII, 1-255 characters."""
    if len(values) != 1:
        raise InvalidKey("Send one Idempotency-Key header, not several.")
    value = values[0].strip(" \t")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        key = _unquote(value[1:-1])
    elif value and all("!" <= char <= "~" and char != '"' for char in value):
        key = value
    else:
        raise InvalidKey(
            'The Idempotency-Key must be printable ASCII, quoted ("...") if it holds spaces.'
        )
    if not 1 <= len(key) <= KEY_MAX_LENGTH:
        raise InvalidKey(f"The Idempotency-Key must be 1 to {KEY_MAX_LENGTH} characters long.")
    return key


def _unquote(inner: str) -> str:
    """An sf-string's content (RFC 8941 3.3.3): printable ASCII, ``\\"`` and ``\\\\`` escapes."""
    chars: list[str] = []
    escaped = False
    for char in inner:
        if not " " <= char <= "~":
            raise InvalidKey("The Idempotency-Key holds a character outside printable ASCII.")
        if escaped:
            if char not in '"\\':
                raise InvalidKey('In a quoted Idempotency-Key only \\" and \\\\ are escapes.')
            chars.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            raise InvalidKey('A quote inside a quoted Idempotency-Key must be escaped (\\").')
        else:
            chars.append(char)
    if escaped:
        raise InvalidKey("The quoted Idempotency-Key ends in a lone backslash.")
    return "".join(chars)


def fingerprint(query: str, variables: Mapping[str, Any] | None, operation_name: str | None) -> str:
    """What makes two keyed requests "the same": the document's text, the variables (no
    variables and ``{}`` alike) and the operation name, hashed over canonical JSON."""
    canonical = json.dumps(
        {"query": query, "variables": variables or {}, "operationName": operation_name},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Claim:
    """This request holds the key: it runs, then ``complete`` or ``release`` the claim."""

    record_key: str
    fingerprint: str
    marker: str  # the in-flight value set, so only this claim replaces or removes it


@dataclass(frozen=True)
class Replay:
    response: StoredResponse


@dataclass(frozen=True)
class InFlight:
    """The first request with this key is still running."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request (document, variables or operation name)."""


Outcome = Claim | Replay | InFlight | Mismatch

# Atomic on the server: two concurrent first requests cannot both claim the key.
_CLAIM = """
local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""
# Store over our own marker, or where it expired meanwhile; never over another claim's.
_COMPLETE = """
local found = redis.call('GET', KEYS[1])
if found and found ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class IdempotencyStore:
    def __init__(
        self,
        redis: Redis,
        *,
        ttl_seconds: int = RECORD_TTL_SECONDS,
        in_flight_seconds: int = IN_FLIGHT_TTL_SECONDS,
    ) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._in_flight = in_flight_seconds

    @staticmethod
    def record_key(subject: str, key: str) -> str:
        # Hashed: any key the client chose makes a short, plain Redis key.
        return f"idempotency:{subject}:{hashlib.sha256(key.encode()).hexdigest()}"

    async def claim(self, subject: str, key: str, request_fingerprint: str) -> Outcome:
        """Claim the key for this request, or say why not: its answer is stored (Replay),
        it is running (InFlight), or the key belongs to another request (Mismatch)."""
        record_key = self.record_key(subject, key)
        marker = json.dumps(
            {
                "fingerprint": request_fingerprint,
                "state": "in_flight",
                "claim": secrets.token_hex(8),
            }
        )
        found = await self._redis.eval(_CLAIM, 1, record_key, marker, self._in_flight)
        if found is None:
            return Claim(record_key, request_fingerprint, marker)
        record = json.loads(found)
        if record["fingerprint"] != request_fingerprint:
            return Mismatch()
        if record["state"] == "in_flight":
            return InFlight()
        return Replay(
            StoredResponse(
                status=record["status"],
                content_type=record["contentType"],
                body=base64.b64decode(record["body"]),
            )
        )

    async def complete(self, claim: Claim, response: StoredResponse) -> None:
        """Store the answer for ``ttl_seconds`` from now, in place of the in-flight marker."""
        record = json.dumps(
            {
                "fingerprint": claim.fingerprint,
                "state": "done",
                "status": response.status,
                "contentType": response.content_type,
                "body": base64.b64encode(response.body).decode("ascii"),
            }
        )
        await self._redis.eval(_COMPLETE, 1, claim.record_key, claim.marker, record, self._ttl)

    async def release(self, claim: Claim) -> None:
        """Give the key up without an answer: a retry runs the request afresh."""
        await self._redis.eval(_RELEASE, 1, claim.record_key, claim.marker)
