"""Encoding ladders: the rungs a title is encoded at, and the fixed 8-rung ladder.

A rung is named by the height of the 16:9 box it fits in ("1080p" is 1920x1080 at most),
as the industry does: a 2.39:1 film's 1080p rung is 1920x804. A ladder never upscales:
a rung whose box would enlarge the source is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from media.probe import SourceInfo

Codec = Literal["h264", "av1"]

# AV1 (SVT-AV1) reaches H.264's quality for about this share of its bits at the presets
# used here (AOM CTC and Netflix's published AV1 numbers say 30-50% savings; this is the
# cautious end). An AV1 ladder reuses the H.264 ladder's picture sizes at this rate: a
# full AV1 rate-quality hull would triple the trial encodes (docs/adding_a_ladder_rule.md).
AV1_BITRATE_SHARE = 0.65

# (box height, target bits per second), best first.
FIXED_LADDER: tuple[tuple[int, int], ...] = (
    (2160, 15_000_000),
    (1440, 8_100_000),
    (1080, 5_800_000),
    (720, 3_000_000),
    (720, 2_350_000),
    (480, 1_050_000),
    (360, 560_000),
    (240, 235_000),
)


@dataclass(frozen=True, slots=True)
class Rung:
    width: int
    height: int
    bitrate: int
    """The encoder's target, in bits per second."""
    vmaf: float | None = None
    """The quality the per-title analysis predicts for this rung, where it made one."""
    crf: float | None = None
    """Encode at this x264 CRF, capped near ``bitrate``, instead of aiming at ``bitrate``.

    Per-title rungs carry the CRF their trials reached the chosen quality with: a
    quality target spends bits where the title needs them, and lands on the quality the
    trials predicted, which a bitrate target only approximates.
    """
    max_bitrate: int | None = None
    """The cap on a CRF rung's rate (VBV maxrate); twice ``bitrate`` when not given."""
    codec: Codec = "h264"
    """H.264 (8-bit SDR, for every device) or AV1 (SVT-AV1; 10-bit, and HDR when the
    source is)."""

    @property
    def name(self) -> str:
        """Unique within a ladder, safe as a folder name: ``720p-3000k``, ``av1-720p-1950k``."""
        prefix = "" if self.codec == "h264" else f"{self.codec}-"
        return f"{prefix}{self.height}p-{round(self.bitrate / 1000)}k"

    def as_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "bitrate": self.bitrate,
            "vmaf": self.vmaf,
            "crf": self.crf,
            "max_bitrate": self.max_bitrate,
            "codec": self.codec,
        }


def fit(source_width: int, source_height: int, box_height: int) -> tuple[int, int]:
    """The even picture size of the source scaled to fit a 16:9 box ``box_height`` tall."""
    box_width = box_height * 16 / 9
    scale = min(box_width / source_width, box_height / source_height)
    return _even(source_width * scale), _even(source_height * scale)


def fits_without_upscaling(source: SourceInfo, box_height: int) -> bool:
    width, height = fit(source.width, source.height, box_height)
    return width <= source.width and height <= source.height


def native_size(source: SourceInfo) -> tuple[int, int]:
    """The source's own size, made even for 4:2:0 chroma."""
    return _even(source.width, up=False), _even(source.height, up=False)


def fixed_ladder(source: SourceInfo) -> list[Rung]:
    """The fixed ladder's rungs that do not upscale ``source``, best first.

    A source smaller than the lowest box still gets one rung, at its own size and the
    lowest rung's bitrate: a title must always have something to play.
    """
    rungs = [
        Rung(*fit(source.width, source.height, box), bitrate)
        for box, bitrate in FIXED_LADDER
        if fits_without_upscaling(source, box)
    ]
    return rungs or [Rung(*native_size(source), FIXED_LADDER[-1][1])]


def _even(value: float, *, up: bool = True) -> int:
    rounded = round(value / 2) * 2 if up else int(value) // 2 * 2
    return max(2, rounded)


def av1_ladder(h264: list[Rung]) -> list[Rung]:
    """AV1 rungs beside an H.264 ladder: its picture sizes at ``AV1_BITRATE_SHARE`` of its
    bit rates, best first (per-title or fixed, whichever ``h264`` is).

    AV1 rungs aim at their bitrate (SVT-AV1's VBR): the H.264 rungs' CRF values mean
    nothing to another encoder, and their predicted VMAF was measured on x264 trials, so
    it is not carried over. Two rungs of one size keep only the better one.
    """
    rungs: list[Rung] = []
    for rung in h264:
        if any((other.width, other.height) == (rung.width, rung.height) for other in rungs):
            continue
        bitrate = max(30_000, round(rung.bitrate * AV1_BITRATE_SHARE / 10_000) * 10_000)
        rungs.append(
            replace(rung, bitrate=bitrate, vmaf=None, crf=None, max_bitrate=None, codec="av1")
        )
    return rungs
