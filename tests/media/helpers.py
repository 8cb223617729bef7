"""Checks on encoded media that several media tests (and the playback tests) share."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import xmlschema

from media.ffmpeg import ffmpeg_exe
from media.manifests import AssetManifest, Track

_ROOT = Path(__file__).resolve().parents[2]
# shared/ sits beside the repository (in CI too); FLIX_TEST_DASH_XSD points elsewhere.
DASH_XSD = Path(os.environ.get("FLIX_TEST_DASH_XSD", _ROOT.parent / "shared/dash/DASH-MPD.xsd"))
_XLINK = Path(xmlschema.__file__).parent / "schemas/XLINK/xlink.xsd"
_PTS_TIME = re.compile(r"pts_time:\s*(-?[\d.]+)")


@cache
def _schema() -> xmlschema.XMLSchema:
    if not DASH_XSD.is_file():
        pytest.skip(f"the DASH schema is not at {DASH_XSD} (set FLIX_TEST_DASH_XSD)")
    # The schema imports xlink from w3.org; use the copy xmlschema ships (no network here).
    return xmlschema.XMLSchema(
        str(DASH_XSD), locations=[("http://www.w3.org/1999/xlink", str(_XLINK))]
    )


def assert_valid_mpd(text: str) -> None:
    """Fail with the schema's own words unless ``text`` is a valid MPEG-DASH MPD."""
    errors = [str(error) for error in _schema().iter_errors(text)]
    assert not errors, errors[0]


def joined(folder: Path, track: Track, target: Path) -> Path:
    """``target``: the track's init segment followed by all its media segments."""
    with target.open("wb") as out:
        out.write((folder / track.init).read_bytes())
        for number in range(1, len(track.durations) + 1):
            out.write((folder / track.segment_path(number)).read_bytes())
    return target


def _decryption(key: bytes | None) -> list[str]:
    return ["-decryption_key", key.hex()] if key is not None else []


def decode(path: Path, key: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Decode every frame of ``path``, stopping at the first error."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-xerror", *_decryption(key)]
    return subprocess.run(
        [*command, "-i", str(path), "-f", "null", "-"], capture_output=True, text=True
    )


def keyframe_times(path: Path, key: bytes | None = None) -> list[float]:
    """Presentation times of the video keyframes in ``path``."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-skip_frame", "nokey"]
    command += [*_decryption(key), "-i", str(path), "-map", "0:v:0", "-vf", "showinfo"]
    result = subprocess.run([*command, "-f", "null", "-"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return [float(t) for t in _PTS_TIME.findall(result.stderr)]


def segment_starts(track: Track) -> list[float]:
    starts, at = [], track.start
    for duration in track.durations:
        starts.append(at / track.timescale)
        at += duration
    return starts


def every_track(manifest: AssetManifest) -> list[Track]:
    return [*manifest.video, *([manifest.audio] if manifest.audio else [])]
