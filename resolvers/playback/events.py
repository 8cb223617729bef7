"""QoE telemetry from players: validated as a batch, then published to the PLAYBACK stream."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.errors import BadUserInput
from core.telemetry import PlaybackEventType
from datasources.events import Stream, message_id
from resolvers.catalog import visible_video
from resolvers.context import Context
from resolvers.playback import qoe_metrics

KNOWN_TYPES = frozenset(PlaybackEventType)  # members are their names: a str is looked up
MAX_BATCH = 100
MAX_AGE = timedelta(hours=24)
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class PlaybackEvent:
    type: str
    video_id: str
    episode_id: str | None
    at: datetime
    playback_session_id: str | None = None
    position_seconds: float | None = None
    bitrate_kbps: float | None = None
    duration_ms: float | None = None
    error_code: str | None = None
    message: str | None = None


def _check(event: PlaybackEvent, index: int, now: datetime) -> datetime:
    where = f"events[{index}]"
    if event.type not in KNOWN_TYPES:
        raise BadUserInput(f"{where}: unknown type {event.type!r}.")
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    if not now - MAX_AGE <= at <= now + MAX_CLOCK_SKEW:
        raise BadUserInput(f"{where}: `at` must be within the last 24 hours.")
    for name in ("position_seconds", "bitrate_kbps", "duration_ms"):
        value = getattr(event, name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise BadUserInput(f"{where}: `{name}` must be a non-negative number.")
    if event.message is not None and len(event.message) > 500:
        raise BadUserInput(f"{where}: `message` is limited to 500 characters.")
    return at


async def report_playback_events(ctx: Context, events: list[PlaybackEvent]) -> int:
    """Accept the whole batch or none of it; answers how many events were accepted."""
    profile = ctx.viewer.require_profile()
    if not 1 <= len(events) <= MAX_BATCH:
        raise BadUserInput(f"Send between 1 and {MAX_BATCH} events at a time.")
    now = datetime.now(UTC)
    checked = []
    for index, event in enumerate(events):
        at = _check(event, index, now)
        video = await visible_video(ctx, profile, event.video_id)
        checked.append((event, at, video))
    for event, at, video in checked:
        payload = {
            "type": event.type,
            "profile_id": str(profile.id),
            "country": ctx.viewer.require_account().country,
            "video_id": video.id,
            "episode_id": event.episode_id,
            "at": at.isoformat(),
            "playback_session_id": event.playback_session_id,
            "position_seconds": event.position_seconds,
            "bitrate_kbps": event.bitrate_kbps,
            "duration_ms": event.duration_ms,
            "error_code": event.error_code,
            "message": event.message,
        }
        topic = event.type.lower()
        await ctx.events.publish(Stream.PLAYBACK, topic, payload, message_id(*payload.values()))
        qoe_metrics.observe(
            event.type,
            str(payload["country"]),
            duration_ms=event.duration_ms,
            bitrate_kbps=event.bitrate_kbps,
            error_code=event.error_code,
        )
    return len(checked)
