"""QoE metrics from the players' telemetry, for Prometheus.

Counted in the process that accepted the events; with several uvicorn workers, run with
PROMETHEUS_MULTIPROC_DIR set so the client library aggregates them.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

STREAMING_STARTS = Counter("flix_streaming_starts", "Playback starts.", ["country"])
BUFFER_EVENTS = Counter("flix_buffer_events", "Rebuffering stalls.", ["country"])
PLAYBACK_ERRORS = Counter("flix_playback_errors", "Player errors.", ["code"])
BITRATE = Histogram(
    "flix_bitrate_kbps",
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
        STREAMING_STARTS.labels(country).inc()
    elif event_type == "FIRST_FRAME" and duration_ms is not None:
        FIRST_FRAME.observe(duration_ms / 1000)
    elif event_type == "REBUFFER_START":
        BUFFER_EVENTS.labels(country).inc()
    elif event_type == "REBUFFER_END" and duration_ms is not None:
        REBUFFER.observe(duration_ms / 1000)
    elif event_type == "BITRATE_SWITCH" and bitrate_kbps is not None:
        BITRATE.observe(bitrate_kbps)
    elif event_type == "ERROR":
        PLAYBACK_ERRORS.labels(error_code or "unknown").inc()
