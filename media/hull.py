"""Rate-quality curves: convex hulls, picking rungs from them, and BD-rate.

Pure arithmetic on (bitrate, VMAF) points, kept apart from the trial encodes that make them
so it can be checked on made-up numbers. Bitrates are compared on a log scale, as
rate-distortion work always does: doubling the bits buys about the same quality anywhere.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Point:
    width: int
    height: int
    bitrate: float
    vmaf: float
    setting: float | None = None
    """The encoder setting that made this point (x264's CRF), if one did."""


def upper_hull(points: Iterable[Point]) -> list[Point]:
    """The efficient frontier: the upper convex hull in (log bitrate, VMAF), rising only.

    A point under the hull is an encode some mix of its neighbours beats, so no ladder
    should ever pick it.
    """
    ordered = sorted(points, key=lambda p: (p.bitrate, -p.vmaf))
    hull: list[Point] = []
    for point in ordered:
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], point) >= 0:
            hull.pop()
        hull.append(point)
    # Past the best quality, more bits buy nothing: drop the falling tail.
    best = max(range(len(hull)), key=lambda i: hull[i].vmaf, default=-1)
    return hull[: best + 1]


def _cross(a: Point, b: Point, c: Point) -> float:
    # > 0 when a→b→c turns left (b lies under the chord a-c): b is not on the upper hull.
    ax, bx, cx = math.log(a.bitrate), math.log(b.bitrate), math.log(c.bitrate)
    return (bx - ax) * (c.vmaf - a.vmaf) - (b.vmaf - a.vmaf) * (cx - ax)


def bitrate_for(hull: Sequence[Point], vmaf: float) -> float | None:
    """The bitrate at which ``hull`` reaches ``vmaf``; None when it never does or starts above."""
    if not hull or vmaf > hull[-1].vmaf or vmaf < hull[0].vmaf:
        return None
    for low, high in itertools.pairwise(hull):
        if low.vmaf <= vmaf <= high.vmaf:
            if high.vmaf == low.vmaf:
                return low.bitrate
            share = (vmaf - low.vmaf) / (high.vmaf - low.vmaf)
            return math.exp(_lerp(math.log(low.bitrate), math.log(high.bitrate), share))
    return hull[0].bitrate


def vmaf_at(hull: Sequence[Point], bitrate: float) -> float | None:
    """The quality ``hull`` gives at ``bitrate``; None outside its range."""
    if not hull or bitrate < hull[0].bitrate:
        return None
    if bitrate >= hull[-1].bitrate:
        return hull[-1].vmaf
    for low, high in itertools.pairwise(hull):
        if low.bitrate <= bitrate <= high.bitrate:
            span = math.log(high.bitrate) - math.log(low.bitrate)
            share = (math.log(bitrate) - math.log(low.bitrate)) / span if span else 0.0
            return _lerp(low.vmaf, high.vmaf, share)
    return None


def setting_at(hull: Sequence[Point], bitrate: float) -> float | None:
    """The encoder setting for ``bitrate``, linear in log-bitrate between the hull's points
    and extended along the nearest segment beyond them (CRF behaves so); None when the
    points carry no settings."""
    if any(point.setting is None for point in hull):
        return None
    if len(hull) == 1:
        return hull[0].setting
    segments = list(itertools.pairwise(hull))
    low, high = segments[0] if bitrate < hull[0].bitrate else segments[-1]
    for pair in segments:
        if pair[0].bitrate <= bitrate <= pair[1].bitrate:
            low, high = pair
            break
    assert low.setting is not None and high.setting is not None
    span = math.log(high.bitrate) - math.log(low.bitrate)
    share = (math.log(bitrate) - math.log(low.bitrate)) / span if span else 0.0
    return _lerp(low.setting, high.setting, share)


def _lerp(a: float, b: float, share: float) -> float:
    return a + (b - a) * share


@dataclass(frozen=True, slots=True)
class Choice:
    width: int
    height: int
    bitrate: float
    vmaf: float
    setting: float | None = None
    """The encoder setting expected to give ``bitrate``, interpolated along the hull."""


def cheapest_for(hulls: Sequence[Sequence[Point]], vmaf: float) -> Choice | None:
    """The resolution and bitrate that reach ``vmaf`` for the fewest bits: the merged hull.

    A curve whose cheapest point is already better than ``vmaf`` offers that point.
    """
    best: Choice | None = None
    for hull in hulls:
        if vmaf < hull[0].vmaf:
            first = hull[0]
            choice = Choice(first.width, first.height, first.bitrate, first.vmaf, first.setting)
        else:
            bitrate = bitrate_for(hull, vmaf)
            if bitrate is None:
                continue
            setting = setting_at(hull, bitrate)
            choice = Choice(hull[0].width, hull[0].height, bitrate, vmaf, setting)
        if best is None or choice.bitrate < best.bitrate:
            best = choice
    return best


def best_at(hulls: Sequence[Sequence[Point]], bitrate: float) -> Choice | None:
    """The resolution giving the best quality for ``bitrate`` bits per second."""
    best: Choice | None = None
    for hull in hulls:
        vmaf = vmaf_at(hull, bitrate)
        if vmaf is not None and (best is None or vmaf > best.vmaf):
            best = Choice(hull[0].width, hull[0].height, bitrate, vmaf, setting_at(hull, bitrate))
    return best


def choose_rungs(
    hulls: Sequence[Sequence[Point]],
    *,
    top_vmaf: float = 94.0,
    step: float = 6.0,
    bottom_bitrate: float = 300_000,
    max_rungs: int = 8,
) -> list[Choice]:
    """Rungs from the merged hull, best first.

    The top rung aims at ``top_vmaf`` (or the best the title reaches, when that is lower:
    more bits would buy nothing visible); each next rung is ``step`` VMAF lower, until a
    rung would cost no more than ``bottom_bitrate``; the bottom rung is the best quality
    that ``bottom_bitrate`` buys.
    """
    hulls = [hull for hull in hulls if hull]
    if not hulls:
        raise ValueError("no rate-quality points to choose from")
    top = cheapest_for(hulls, min(top_vmaf, max(hull[-1].vmaf for hull in hulls)))
    assert top is not None  # the target is within reach of the best curve
    if top.bitrate <= bottom_bitrate:
        # The title looks its best for less than the bottom rung's budget: one rung will do.
        return [top]
    rungs = [top]
    while len(rungs) < max_rungs - 1:
        choice = cheapest_for(hulls, rungs[-1].vmaf - step)
        if choice is None or not bottom_bitrate < choice.bitrate < rungs[-1].bitrate:
            break
        rungs.append(choice)
    bottom = best_at(hulls, bottom_bitrate) or _lowest(hulls, bottom_bitrate)
    # A bottom rung that looks like the one above it only costs storage; keep the cheaper.
    while len(rungs) > 1 and rungs[-1].vmaf - bottom.vmaf < step / 2:
        rungs.pop()
    return [*rungs, bottom]


def _lowest(hulls: Sequence[Sequence[Point]], bitrate: float) -> Choice:
    # Even the cheapest trial costs more than the bottom bitrate: take the smallest picture
    # at that bitrate, its quality extended down the slope of its cheapest two points.
    hull = min(hulls, key=lambda h: (h[0].height, h[0].bitrate))
    first = hull[0]
    slope = 0.0
    if len(hull) > 1:
        span = math.log(hull[1].bitrate) - math.log(first.bitrate)
        slope = (hull[1].vmaf - first.vmaf) / span if span else 0.0
    vmaf = first.vmaf - slope * (math.log(first.bitrate) - math.log(bitrate))
    return Choice(first.width, first.height, bitrate, max(0.0, vmaf), setting_at(hull, bitrate))


def bd_rate(reference: Iterable[Point], test: Iterable[Point]) -> float | None:
    """How many more bits (negative: fewer) ``test`` needs than ``reference`` for the same
    VMAF, averaged over the qualities both reach: -0.25 means 25% fewer bits.

    Each curve is the upper hull of its points, with log-bitrate interpolated linearly in
    VMAF (Bjøntegaard's method with piecewise-linear rather than cubic fits, which behaves
    on the few points a ladder has). None when the curves share no quality range.
    """
    ref_hull, test_hull = upper_hull(reference), upper_hull(test)
    if len(ref_hull) < 1 or len(test_hull) < 1:
        return None
    low = max(ref_hull[0].vmaf, test_hull[0].vmaf)
    high = min(ref_hull[-1].vmaf, test_hull[-1].vmaf)
    if high <= low:
        return None
    samples = 200
    total = 0.0
    for i in range(samples + 1):
        vmaf = min(high, low + (high - low) * i / samples)  # no rounding past the end
        ref_rate, test_rate = bitrate_for(ref_hull, vmaf), bitrate_for(test_hull, vmaf)
        assert ref_rate is not None and test_rate is not None
        weight = 0.5 if i in (0, samples) else 1.0  # trapezoidal rule
        total += weight * (math.log(test_rate) - math.log(ref_rate))
    return math.exp(total / samples) - 1
