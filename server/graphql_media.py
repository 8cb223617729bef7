"""Which media type a GraphQL answer goes out as, and with which status: the rules of the
GraphQL over HTTP spec (https://graphql.github.io/graphql-over-http/draft/).

``application/graphql-response+json`` is the spec's own type: under it a request error
(the document does not parse, does not validate, its variables do not coerce: nothing was
executed) is a 4xx without a ``data`` entry. ``application/json`` is the legacy type every
older client asks for: a well-formed request is always a 200, errors or not. A client gets
the new type only when it names it; ``*/*``, ``application/*`` or no Accept at all mean
``application/json``, as the spec asks until its watershed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

GRAPHQL_RESPONSE: Final = "application/graphql-response+json"
JSON: Final = "application/json"
CONTENT_TYPES: Final = {
    GRAPHQL_RESPONSE: f"{GRAPHQL_RESPONSE}; charset=utf-8",
    JSON: JSON,  # UTF-8 by definition (RFC 8259): no charset parameter
}

# The status of a request error under application/graphql-response+json, by the first
# error's extensions.code: the client's mistake is a 400, ours or a store's a 5xx.
_REQUEST_ERROR_STATUS: Final = {
    "RATE_LIMITED": 429,
    "TIMEOUT": 503,
    "UNAVAILABLE": 503,
    "INTERNAL": 500,
}


def _quality(parameters: Sequence[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0  # an unreadable weight accepts nothing rather than everything
    return 1.0


def _preferences(accept: str) -> dict[str, float]:
    """Each media range of an Accept header and its weight (``q``, 1 when absent)."""
    ranges: dict[str, float] = {}
    for item in accept.split(","):
        media_range, *parameters = item.split(";")
        media_range = media_range.strip().lower()
        if media_range:
            ranges[media_range] = max(ranges.get(media_range, 0.0), _quality(parameters))
    return ranges


def _weight(ranges: Mapping[str, float], media_type: str) -> float:
    # The most specific range that matches decides (RFC 9110 §12.5.1).
    main = media_type.split("/", 1)[0]
    for candidate in (media_type, f"{main}/*", "*/*"):
        if candidate in ranges:
            return ranges[candidate]
    return 0.0


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither (a 406)."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _preferences(accept)
    # The new type only when named: a wildcard alone is a client that predates it.
    named = ranges.get(GRAPHQL_RESPONSE, 0.0)
    legacy = _weight(ranges, JSON)
    if named > 0 and named >= legacy:
        return GRAPHQL_RESPONSE
    if legacy > 0:
        return JSON
    return None


def is_request_error(response: Mapping[str, Any]) -> bool:
    """Whether an answer is a request error, nothing executed to give data: errors and no
    data, none of them a field's (a field error has a ``path``; a non-null field that
    failed can null the whole ``data`` too, and that answer stays a 200)."""
    errors = response.get("errors") or []
    return (
        bool(errors)
        and response.get("data") is None
        and all(error.get("path") is None for error in errors)
    )


def request_error_status(response: Mapping[str, Any]) -> int:
    errors = response.get("errors") or [{}]
    code = (errors[0].get("extensions") or {}).get("code")
    return _REQUEST_ERROR_STATUS.get(str(code), 400)
