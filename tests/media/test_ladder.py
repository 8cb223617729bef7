"""Ladders and rate-quality hulls, on made-up numbers."""

from __future__ import annotations

import itertools
import math

import pytest

from media.hull import Point, bd_rate, bitrate_for, choose_rungs, upper_hull, vmaf_at
from media.ladder import FIXED_LADDER, Rung, fit, fixed_ladder
from media.probe import SourceInfo


def _source(width: int, height: int) -> SourceInfo:
    return SourceInfo(10.0, width, height, 25.0, "h264", None, None)


def test_the_fixed_ladder_never_upscales() -> None:
    assert [(r.height, r.bitrate) for r in fixed_ladder(_source(3840, 2160))] == [
        (h, b) for h, b in FIXED_LADDER
    ]
    assert fixed_ladder(_source(1280, 720)) == [
        Rung(1280, 720, 3_000_000),
        Rung(1280, 720, 2_350_000),
        Rung(854, 480, 1_050_000),
        Rung(640, 360, 560_000),
        Rung(426, 240, 235_000),
    ]
    # A 2.39:1 film fits the boxes by width.
    assert fixed_ladder(_source(1920, 804))[0] == Rung(1920, 804, 5_800_000)
    # Smaller than every box: one rung at the source's own size.
    assert fixed_ladder(_source(176, 144)) == [Rung(176, 144, 235_000)]


def test_fit_keeps_the_shape_and_even_sizes() -> None:
    assert fit(1920, 1080, 720) == (1280, 720)
    assert fit(640, 272, 240) == (426, 182)
    assert fit(1080, 1920, 1080) == (608, 1080)  # portrait: the box's height bounds it
    assert Rung(640, 360, 560_000).name == "360p-560k"


def _curve(width: int, height: int, scale: float, ceiling: float = 100) -> list[Point]:
    # Quality rising with bitrate and flattening out below what the picture size allows.
    return [
        Point(width, height, rate, ceiling - 60 * math.exp(-rate / scale))
        for rate in (100_000, 200_000, 400_000, 800_000, 1_600_000, 3_200_000)
    ]


def test_upper_hull_drops_dominated_points() -> None:
    points = [
        Point(640, 360, 100_000, 50),
        Point(640, 360, 200_000, 55),  # under the chord from 50 to 80
        Point(640, 360, 400_000, 80),
        Point(640, 360, 800_000, 79),  # more bits, less quality
    ]
    assert [p.bitrate for p in upper_hull(points)] == [100_000, 400_000]
    hull = upper_hull(points)
    assert bitrate_for(hull, 65) == pytest.approx(200_000)
    assert vmaf_at(hull, 200_000) == pytest.approx(65)
    assert bitrate_for(hull, 90) is None and vmaf_at(hull, 50_000) is None


def test_choose_rungs_from_the_merged_hull() -> None:
    hulls = [upper_hull(_curve(1280, 720, 900_000)), upper_hull(_curve(640, 360, 250_000, 86))]
    rungs = choose_rungs(hulls)
    assert rungs[0].vmaf == pytest.approx(94)
    assert all(a.bitrate > b.bitrate for a, b in itertools.pairwise(rungs))
    assert all(a.vmaf - b.vmaf == pytest.approx(6) for a, b in itertools.pairwise(rungs[:-1]))
    assert rungs[-1].bitrate == 300_000
    # High qualities come from the large picture, the bottom from the small one.
    assert rungs[0].height == 720 and rungs[-1].height == 360


def test_a_title_that_is_cheap_everywhere_gets_one_rung() -> None:
    hulls = [upper_hull(_curve(640, 360, 20_000))]
    (rung,) = choose_rungs(hulls)
    assert rung.bitrate <= 300_000 and rung.vmaf >= 94


def test_bd_rate() -> None:
    reference = _curve(1280, 720, 800_000)
    half_the_bits = [Point(p.width, p.height, p.bitrate / 2, p.vmaf) for p in reference]
    assert bd_rate(reference, half_the_bits) == pytest.approx(-0.5)
    assert bd_rate(reference, reference) == pytest.approx(0.0)
    disjoint = [Point(1, 1, 1000, 10), Point(1, 1, 2000, 20)]
    assert bd_rate(reference, disjoint) is None
