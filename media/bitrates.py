"""Segment bit rates as RFC 8216 defines them: what BANDWIDTH and AVERAGE-BANDWIDTH declare.

RFC 8216 4.3.4.2: a variant's BANDWIDTH is its *peak segment bit rate*, "the largest bit rate
of any contiguous set of segments whose total duration is between 0.5 and 1.5 times the
target duration", where a segment's bit rate is its size over its EXTINF duration; its
AVERAGE-BANDWIDTH is the *average segment bit rate*, every segment's bytes over the whole
duration. Both are measured on the segments as written, never taken from the encoder's target.
DASH's @bandwidth takes the same peak: with a one-segment ``minBufferTime`` it is what a
client must sustain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def target_duration(seconds: Sequence[float]) -> int:
    """EXT-X-TARGETDURATION: every EXTINF rounded to the nearest integer is at most it."""
    return max(1, max((round(s) for s in seconds), default=1))


def average_bit_rate(sizes: Sequence[int], seconds: Sequence[float]) -> int:
    """Bits per second over the whole track (segments only: the init segment is not one)."""
    return math.ceil(sum(sizes) * 8 / max(sum(seconds), 1e-3))


def peak_bit_rate(sizes: Sequence[int], seconds: Sequence[float]) -> int:
    """The peak segment bit rate of RFC 8216, in bits per second, rounded up.

    Never below the average: when no run of segments fits the window (a title shorter than
    half a target duration), the whole track is the only measure there is.
    """
    if len(sizes) != len(seconds):
        raise ValueError("one duration per segment")
    target = target_duration(seconds)
    low, high = 0.5 * target, 1.5 * target
    peak = 0.0
    for first in range(len(sizes)):
        bits, duration = 0, 0.0
        for last in range(first, len(sizes)):
            bits += sizes[last] * 8
            duration += seconds[last]
            if duration > high:
                break
            if duration >= low:
                peak = max(peak, bits / duration)
    return max(math.ceil(peak), average_bit_rate(sizes, seconds))
