"""Probing: what a source holds, and a clear refusal for anything that is not a video."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import BadUserInput
from media.ffmpeg import run_ffmpeg
from media.probe import Colour, SourceInfo, parse_header, probe


async def test_probes_real_clips(bikes: Path, bunny: Path) -> None:
    assert await probe(bikes) == SourceInfo(
        duration=10.0,
        width=640,
        height=272,
        fps=25.0,
        video_codec="h264",
        audio_codec=None,
        audio_sample_rate=None,
        colour=Colour(pixel_format="yuv420p"),
    )
    info = await probe(bunny)
    assert (info.width, info.height, info.has_audio, info.audio_sample_rate) == (
        1280,
        720,
        True,
        48000,
    )
    assert info.duration == pytest.approx(5.31)


def _write_damaged(clip: Path, target: Path) -> None:
    data = bytearray(clip.read_bytes())
    for offset in range(100_000, 400_000, 5_000):  # scribble over the middle of the frames
        data[offset : offset + 200] = bytes(range(200))
    target.write_bytes(bytes(data))


async def test_refuses_what_is_not_a_video(bikes: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.mp4"
    with pytest.raises(BadUserInput, match="no such file"):
        await probe(missing)

    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(BadUserInput, match="not a video file ffmpeg can read"):
        await probe(text)

    sound = tmp_path / "sound.m4a"
    await run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", str(sound)])
    with pytest.raises(BadUserInput, match="has no video stream"):
        await probe(sound)

    still = tmp_path / "still.jpg"
    await run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", str(still)])
    with pytest.raises(BadUserInput, match="still image"):
        await probe(still)

    damaged = tmp_path / "damaged.mp4"
    _write_damaged(bikes, damaged)
    with pytest.raises(BadUserInput, match=r"damaged\.mp4 is corrupt"):
        await probe(damaged)


def test_reads_a_rotated_phone_video_upright() -> None:
    log = "\n".join(
        [
            "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'phone.mov':",
            "  Duration: 00:00:03.50, start: 0.000000, bitrate: 9000 kb/s",
            "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), "
            "yuv420p(tv, bt709), 1920x1080, 8000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)",
            "      Side data:",
            "        displaymatrix: rotation of -90.00 degrees",
            "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, "
            "fltp, 128 kb/s (default)",
            "  Stream #0:2[0x3](und): Video: mjpeg (Baseline), yuvj420p, 320x240, 90k tbr "
            "(attached pic)",
            "Stream mapping:",
        ]
    )
    info = parse_header(Path("phone.mov"), log)
    assert (info.width, info.height, info.fps) == (1080, 1920, 29.97)
    assert (info.audio_codec, info.audio_sample_rate, info.duration) == ("aac", 44100, 3.5)
