"""Lay out an encoded title: its description (``asset.json``) and static manifests.

An asset folder holds::

    asset.json                      what every manifest is rendered from
    manifest.mpd, master.m3u8       static copies with relative URLs (for tools and checks)
    video/<rung>/init.mp4, seg-00001.m4s, ..., playlist.m3u8, iframes.m3u8
    audio/init.mp4, seg-00001.m4s, ..., playlist.m3u8
    images/poster.jpg, backdrop.jpg, trickplay.json, trickplay/tile-0001.jpg, ...
"""

from __future__ import annotations

import functools
import json
import posixpath
from collections.abc import Sequence
from pathlib import Path

from media.drm import ContentKey, kid_uuid_text
from media.encode import INIT_NAME, MEDIA_TEMPLATE, EncodedStream
from media.ladder import Rung
from media.manifests import (
    DESCRIPTION_FILE,
    HLS_MASTER_FILE,
    MPD_FILE,
    PLAYLIST_FILE,
    AssetManifest,
    Track,
    Trickplay,
    render_hls_iframes,
    render_hls_master,
    render_hls_media,
    render_mpd,
)

AUDIO_TRACK_ID = "audio"


def video_folder(rung: Rung) -> str:
    return f"video/{rung.name}"


def describe(
    *,
    segment_seconds: int,
    video: Sequence[tuple[Rung, EncodedStream]],
    audio: EncodedStream | None,
    key: ContentKey | None,
    images: dict[str, str],
    trickplay: Trickplay | None,
) -> AssetManifest:
    """The asset's description from its encoded streams (rungs best first)."""
    tracks = tuple(
        _track(
            rung.name,
            video_folder(rung),
            stream,
            bitrate=rung.bitrate,
            vmaf=rung.vmaf,
            keyframe_sizes=stream.keyframe_sizes,
        )
        for rung, stream in video
    )
    audio_track = _track(AUDIO_TRACK_ID, "audio", audio) if audio is not None else None
    durations = [track.duration for track in tracks]
    if audio_track is not None:
        durations.append(audio_track.duration)
    return AssetManifest(
        duration=round(max(durations), 3),
        segment_seconds=segment_seconds,
        video=tracks,
        audio=audio_track,
        key_id=kid_uuid_text(key.kid) if key is not None else None,
        images=images,
        trickplay=trickplay,
    )


def _track(
    track_id: str,
    folder: str,
    stream: EncodedStream,
    *,
    bitrate: int | None = None,
    vmaf: float | None = None,
    keyframe_sizes: tuple[int, ...] = (),
) -> Track:
    return Track(
        id=track_id,
        codecs=stream.codecs,
        bandwidth=stream.peak_bandwidth,
        average_bandwidth=stream.average_bandwidth,
        timescale=stream.timescale,
        start=stream.start,
        durations=stream.durations,
        init=f"{folder}/{INIT_NAME}",
        media=f"{folder}/{MEDIA_TEMPLATE}",
        playlist=f"{folder}/{PLAYLIST_FILE}",
        width=stream.width,
        height=stream.height,
        frame_rate=stream.frame_rate,
        bitrate=bitrate,
        vmaf=vmaf,
        sample_rate=stream.sample_rate,
        channels=stream.channels,
        keyframe_sizes=keyframe_sizes,
        colour=stream.colour,
    )


def write_package(folder: Path, manifest: AssetManifest) -> None:
    """Write ``asset.json`` and the static manifests into ``folder``."""
    description = json.dumps(manifest.to_json(), indent=2)
    (folder / DESCRIPTION_FILE).write_text(description, encoding="utf-8")
    (folder / MPD_FILE).write_text(render_mpd(manifest, sign=_as_is), encoding="utf-8")
    master = render_hls_master(manifest, sign=_as_is)
    (folder / HLS_MASTER_FILE).write_text(master, encoding="utf-8")
    tracks = [*manifest.video, *([manifest.audio] if manifest.audio else [])]
    for track in tracks:
        relative = functools.partial(_relative, start=posixpath.dirname(track.playlist))
        playlist = render_hls_media(manifest, track.id, sign=relative)
        (folder / track.playlist).write_text(playlist, encoding="utf-8")
        if track.keyframe_sizes:
            iframes = render_hls_iframes(manifest, track.id, sign=relative)
            (folder / track.iframe_playlist).write_text(iframes, encoding="utf-8")


def _as_is(path: str) -> str:
    return path


def _relative(path: str, start: str) -> str:
    return posixpath.relpath(path, start)


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
