"""QoE metrics from the players' telemetry, for Prometheus.

Counted in the process that accepted the events; with several uvicorn workers `flix serve`
sets PROMETHEUS_MULTIPROC_DIR, so /metrics aggregates them across workers.
"""

from __future__ import annotations

import re

from prometheus_client import Counter, Histogram

# Every label value comes from a closed set: a client-chosen label would grow a new time
# series per value, without end. Anything outside the set is counted as OTHER.
OTHER = "other"
# Account countries are validated ISO 3166 alpha-2 codes at registration: at most 26*26.
_COUNTRY = re.compile(r"[A-Z]{2}")
# Player error codes: Shaka Player's, a category (1 NETWORK .. 11) times 1000 plus a number
# below 100 in it (e.g. 6007, a failed license request), bare or as the web player's
# SHAKA_6007; PLAYER for a non-Shaka failure; unknown when none was sent.
_ERROR_CODE = re.compile(r"(SHAKA_)?([1-9]|1[01])0[0-9]{2}")
_NAMED_ERROR_CODES = frozenset({"PLAYER", "unknown"})

# The seed's names (its dashboards and alerts query them), not Flix's own prefix.
STREAMING_STARTS = Counter("streaming_starts", "Playback starts.", ["country"])
BUFFER_EVENTS = Counter("streaming_buffer_events", "Rebuffering stalls.", ["country"])
PLAYBACK_ERRORS = Counter("streaming_playback_errors", "Player errors.", ["code"])
BITRATE = Histogram(
    "streaming_bitrate_kbps",
    "Rendition bitrate after each switch.",
    buckets=(235, 560, 1050, 2350, 3000, 4300, 5800, 15000),
)
FIRST_FRAME = Histogram(
    "flix_time_to_first_frame_seconds",
    "From START to the first frame.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8),
)
REBUFFER = Histogram(
    "flix_rebuffer_seconds", "How long each stall lasted.", buckets=(0.25, 0.5, 1, 2, 5, 10)
)


def country_label(country: str) -> str:
    return country if _COUNTRY.fullmatch(country) else OTHER


def error_code_label(code: str | None) -> str:
    code = code or "unknown"
    return code if code in _NAMED_ERROR_CODES or _ERROR_CODE.fullmatch(code) else OTHER


def observe(
    event_type: str,
    country: str,
    *,
    duration_ms: float | None,
    bitrate_kbps: float | None,
    error_code: str | None,
) -> None:
    """Turn one accepted QoE event into metrics."""
    if event_type == "START":
        STREAMING_STARTS.labels(country_label(country)).inc()
    elif event_type == "FIRST_FRAME" and duration_ms is not None:
        FIRST_FRAME.observe(duration_ms / 1000)
    elif event_type == "REBUFFER_START":
        BUFFER_EVENTS.labels(country_label(country)).inc()
    elif event_type == "REBUFFER_END" and duration_ms is not None:
        REBUFFER.observe(duration_ms / 1000)
    elif event_type == "BITRATE_SWITCH" and bitrate_kbps is not None:
        BITRATE.observe(bitrate_kbps)
    elif event_type == "ERROR":
        PLAYBACK_ERRORS.labels(error_code_label(error_code)).inc()
