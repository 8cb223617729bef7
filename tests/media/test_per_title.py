"""Per-title ladders from real trial encodes: cheap content gets cheap rungs."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from media.ladder import fixed_ladder
from media.per_title import per_title_ladder, sample_windows, trial_sizes
from media.probe import SourceInfo, probe

pytestmark = pytest.mark.media


async def test_a_cartoon_needs_fewer_bits_than_a_bike_race(
    cartoon: Path, bikes: Path, tmp_path: Path
) -> None:
    ladders = {}
    for name, clip in (("cartoon", cartoon), ("bikes", bikes)):
        info = await probe(clip)
        rungs, trials = await per_title_ladder(
            clip, info, tmp_path / name, preset="ultrafast", segment_seconds=2, sample_seconds=3
        )
        assert all(t.width <= info.width and t.height <= info.height for t in trials)
        assert all(r.width <= info.width and r.height <= info.height for r in rungs)
        assert rungs[-1].bitrate <= 300_000
        assert all(a.bitrate > b.bitrate for a, b in itertools.pairwise(rungs))
        ladders[name] = (rungs, fixed_ladder(info))

    cartoon_rungs, cartoon_fixed = ladders["cartoon"]
    bikes_rungs, _ = ladders["bikes"]
    # Both top rungs aim at the same quality; the cartoon gets there far cheaper.
    assert bikes_rungs[0].vmaf == pytest.approx(94, abs=1)
    assert cartoon_rungs[0].vmaf is not None and cartoon_rungs[0].vmaf >= 93
    assert cartoon_rungs[0].bitrate < bikes_rungs[0].bitrate / 2
    assert sum(r.bitrate for r in cartoon_rungs) < sum(r.bitrate for r in cartoon_fixed) / 2


def test_trial_sizes_and_sample_windows() -> None:
    uhd = SourceInfo(600.0, 3840, 2160, 24.0, "hevc", None, None)
    assert trial_sizes(uhd) == [(3840, 2160), (1920, 1080), (1280, 720), (960, 540), (426, 240)]
    tiny = SourceInfo(4.0, 176, 144, 29.97, "h264", None, None)
    assert trial_sizes(tiny) == [(176, 144)]
    assert sample_windows(600.0, 4.0, 2) == [(199.0, 2.0), (399.0, 2.0)]
    assert sample_windows(4.5, 4.0, 2) == [(0.0, 4.5)]
