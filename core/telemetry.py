"""What players report about playback (QoE): the PLAYBACK stream's event types."""

from __future__ import annotations

from enum import StrEnum


class PlaybackEventType(StrEnum):
    """GraphQL's ``PlaybackEventType``; each event's ``type`` on the PLAYBACK stream."""

    START = "START"
    FIRST_FRAME = "FIRST_FRAME"
    REBUFFER_START = "REBUFFER_START"
    REBUFFER_END = "REBUFFER_END"
    BITRATE_SWITCH = "BITRATE_SWITCH"
    ERROR = "ERROR"
    END = "END"
