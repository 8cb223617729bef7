"""Ingest: source file → probe → ladder → encodes → package → images → published asset.

Everything is written into ``MEDIA_ROOT/.staging/<title>/`` first. Publishing is one
``rename`` of that folder to ``MEDIA_ROOT/<title>-<random>/`` followed by one UPDATE, so a
reader sees either the old asset or the complete new one, never half of either. The folder
name is new on every ingest: URLs of a re-encoded title never collide in a CDN's cache with
the old encode's, which can therefore be marked immutable.

An interrupt (Ctrl-C, a cancelled task) kills ffmpeg, removes the staging folder and puts
the database row back as it was. A crash that leaves a staging folder behind is harmless:
the next ingest of the title clears it and starts over. A lock file keeps two ingests of
the same title from sharing one staging folder.

With a bucket (S3 configured), publishing is an upload of the staging folder to
``media/<title>-<random>/`` (media/published.py), checked complete, then the same UPDATE;
the staging folder is removed after, so the media root keeps no media. An interrupt during
the upload deletes what was uploaded; once the UPDATE has started it is finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BadUserInput, Conflict
from core.progress import NoProgress, Progress
from datasources.objects import ObjectStore, ObjectStoreError, ObjectStoreUnavailable
from datasources.playback import assets
from datasources.playback.assets import MediaAsset
from media.drm import ContentKey, new_content_key, seal
from media.encode import AV1_PRESET, EncodedStream, encode_audio, encode_video
from media.ladder import Rung, av1_ladder, fixed_ladder
from media.manifests import AssetManifest, load_manifest
from media.package import describe, folder_size, video_folder, write_package
from media.per_title import per_title_ladder
from media.probe import SourceInfo, probe
from media.published import RETIRED_PREFIX, delete_asset, upload_folder
from media.thumbnails import make_images

STAGING = ".staging"
RETIRED = ".retired"
# A replaced encode stays on disk this long, so viewers already playing it can finish:
# longer than any signed URL lives. Its mark in RETIRED says since when.
RETIRE_AFTER_SECONDS = 24 * 3600

LadderKind = Literal["fixed", "per-title"]
DrmKind = Literal["none", "clearkey"]


@dataclass(frozen=True, slots=True)
class IngestOptions:
    ladder: LadderKind = "fixed"
    drm: DrmKind = "none"
    segment_seconds: int = 4
    """CMAF segment length; also the GOP length, so every segment starts on a keyframe."""
    preset: str = "veryfast"
    """x264's speed/efficiency trade-off for every encode (and per-title trial)."""
    trial_seconds: float = 4.0
    """How much of the source the per-title trials encode."""
    codecs: tuple[str, ...] = ("h264",)
    """The ladders to encode: H.264 always (every device plays it), AV1 beside it on ask."""
    av1_preset: int = AV1_PRESET
    """SVT-AV1's speed for the AV1 rungs (0-13, higher is faster)."""
    max_rungs: int = 8
    """At most this many rungs per codec: the fixed ladder's best ones, or what the
    per-title analysis may choose. Fewer make a quick preview encode (and quick tests)."""

    def check(self, master_key: bytes | None) -> None:
        if self.ladder not in ("fixed", "per-title"):
            raise BadUserInput(f"unknown ladder {self.ladder!r}: use fixed or per-title")
        if self.drm not in ("none", "clearkey"):
            raise BadUserInput(f"unknown DRM {self.drm!r}: use none or clearkey")
        if "h264" not in self.codecs or not set(self.codecs) <= {"h264", "av1"}:
            raise BadUserInput(f"unknown codecs {self.codecs!r}: use h264, or h264 and av1")
        if not 1 <= self.max_rungs <= 8:
            raise BadUserInput("a ladder has 1 to 8 rungs")
        if not 0 <= self.av1_preset <= 13:
            raise BadUserInput("the SVT-AV1 preset must be 0 to 13")
        if not 2 <= self.segment_seconds <= 4:
            raise BadUserInput("segments must last 2 to 4 seconds")
        if self.drm == "clearkey" and master_key is None:
            raise BadUserInput("Clear Key needs a media master key (FLIX_MEDIA_MASTER_KEY)")


async def ingest(
    engine: AsyncEngine,
    source: Path,
    media_root: Path,
    *,
    video_id: int | None = None,
    episode_id: int | None = None,
    options: IngestOptions = IngestOptions(),
    master_key: bytes | None = None,
    progress: Progress | None = None,
    objects: ObjectStore | None = None,
) -> MediaAsset:
    """Encode ``source`` for the video (a movie) or the episode, publish it (into the media
    root, or into ``objects`` when given) and record it.

    BadUserInput for a source that is not a readable video (nothing is written or
    recorded), NotFound for an unknown title, Conflict while another ingest of the same
    title runs, ObjectStoreUnavailable when the bucket does not answer (checked first, so
    no encode is wasted on it).
    """
    options.check(master_key)
    if objects is not None and not await objects.ready():
        raise ObjectStoreUnavailable(f"the bucket {objects.bucket!r} does not answer")
    report = progress or NoProgress()
    video_id, episode_id = await assets.resolve_title(engine, video_id, episode_id)
    report.start("probe", "Probing the source", 1)
    info = await probe(source)
    report.finish("probe")
    title = f"episode-{episode_id}" if episode_id is not None else f"video-{video_id}"
    with _title_lock(media_root, title):
        staging = media_root / STAGING / title
        await asyncio.to_thread(_fresh_folder, staging)
        previous = await assets.begin_ingest(engine, video_id, episode_id)
        try:
            key = new_content_key() if options.drm == "clearkey" else None
            await build(source, info, staging, options, key=key, progress=report)
            values = await asyncio.to_thread(_record, staging, options.drm)
            if key is not None:
                assert master_key is not None
                values |= {"key_id": key.kid_uuid, "encrypted_key": seal(master_key, key)}
            if objects is not None:
                name = f"{title}-{secrets.token_hex(4)}"
                asset, replaced = await _commit_to_bucket(
                    engine, video_id, episode_id, staging, objects, name, values, report
                )
                await asyncio.to_thread(shutil.rmtree, staging, True)
            else:
                report.start("publish", "Publishing", 1)
                commit = asyncio.ensure_future(
                    _commit(engine, video_id, episode_id, staging, media_root / title, values)
                )
                try:
                    asset, replaced = await asyncio.shield(commit)
                except asyncio.CancelledError:
                    # Past the point of no return: finish publishing, then honour the interrupt.
                    await commit
                    raise
                report.finish("publish")
        except Exception as exc:
            await assets.fail_ingest(engine, video_id, episode_id, str(exc) or repr(exc))
            await asyncio.to_thread(shutil.rmtree, staging, True)
            raise
        except BaseException:
            # Interrupted: leave no trace, as if the ingest had never started.
            await assets.abandon_ingest(engine, video_id, episode_id, previous)
            await asyncio.to_thread(shutil.rmtree, staging, True)
            raise
    if replaced is not None and replaced != asset.storage_path:
        if (media_root / replaced).is_dir() or objects is None:
            await asyncio.to_thread(_retire, media_root, replaced)
        else:
            await _retire_in_bucket(objects, replaced)
    return asset


async def _commit(
    engine: AsyncEngine,
    video_id: int,
    episode_id: int | None,
    staging: Path,
    title_prefix: Path,
    values: dict[str, object],
) -> tuple[MediaAsset, str | None]:
    """Rename the staging folder into place and point the title's row at it."""
    target = title_prefix.with_name(f"{title_prefix.name}-{secrets.token_hex(4)}")
    await asyncio.to_thread(_publish_folder, staging, target)
    try:
        values = {**values, "storage_path": target.name}
        return await assets.publish(engine, video_id, episode_id, values)
    except BaseException:
        # Nothing points at the folder yet: take it back out of the media root.
        await asyncio.to_thread(shutil.rmtree, target, True)
        raise


async def _commit_to_bucket(
    engine: AsyncEngine,
    video_id: int,
    episode_id: int | None,
    staging: Path,
    objects: ObjectStore,
    name: str,
    values: dict[str, object],
    report: Progress,
) -> tuple[MediaAsset, str | None]:
    """Upload the staging folder as asset ``name``, check it whole, point the row at it."""
    commit: asyncio.Future[tuple[MediaAsset, str | None]] | None = None
    try:
        await upload_folder(objects, staging, name, report)
        commit = asyncio.ensure_future(
            assets.publish(engine, video_id, episode_id, {**values, "storage_path": name})
        )
        try:
            return await asyncio.shield(commit)
        except asyncio.CancelledError:
            # Past the point of no return: finish publishing, then honour the interrupt.
            await commit
            raise
    except BaseException:
        # Unless the row points at the upload now (or may yet: an UPDATE still running),
        # nothing ever will: take it back out of the bucket.
        failed = commit is None or (
            commit.done() and (commit.cancelled() or commit.exception() is not None)
        )
        if failed:
            with contextlib.suppress(ObjectStoreError, ObjectStoreUnavailable):
                # A bucket away now leaves objects no asset names: wasted space, no more.
                await delete_asset(objects, name)
        raise


async def build(
    source: Path,
    info: SourceInfo,
    staging: Path,
    options: IngestOptions,
    *,
    key: ContentKey | None = None,
    progress: Progress | None = None,
) -> AssetManifest:
    """Encode, package and illustrate ``source`` into the empty folder ``staging``.

    The whole ingest but publishing and recording: what a benchmark times.
    """
    report = progress or NoProgress()
    rungs = await _ladder(source, info, staging, options, report)
    if "av1" in options.codecs:
        # The same picture sizes, per-title or fixed as the H.264 ladder is.
        rungs += av1_ladder(rungs)
    encoded: list[tuple[Rung, EncodedStream]] = []
    for rung in rungs:
        task = f"encode {rung.name}"
        codec = "AV1" if rung.codec == "av1" else "H.264"
        label = f"Encoding {codec} {rung.width}x{rung.height} @ {rung.bitrate // 1000} kb/s"
        report.start(task, label, info.duration)
        stream = await encode_video(
            source,
            info,
            rung,
            staging / video_folder(rung),
            segment_seconds=options.segment_seconds,
            preset=options.preset,
            key=key,
            av1_preset=options.av1_preset,
            on_progress=functools.partial(report.update, task),
        )
        report.finish(task)
        encoded.append((rung, stream))
    audio = None
    if info.has_audio:
        report.start("audio", "Encoding the audio (AAC)", info.duration)
        audio = await encode_audio(
            source,
            staging / "audio",
            segment_seconds=options.segment_seconds,
            key=key,
            on_progress=lambda seconds: report.update("audio", seconds),
        )
        report.finish("audio")
    report.start("images", "Poster, backdrop and trickplay tiles", info.duration)
    images, trickplay = await make_images(
        source, info, staging, on_progress=lambda seconds: report.update("images", seconds)
    )
    report.finish("images")
    manifest = describe(
        segment_seconds=options.segment_seconds,
        video=encoded,
        audio=audio,
        key=key,
        images=images,
        trickplay=trickplay,
    )
    await asyncio.to_thread(write_package, staging, manifest)
    return manifest


async def _ladder(
    source: Path, info: SourceInfo, staging: Path, options: IngestOptions, report: Progress
) -> list[Rung]:
    if options.ladder == "fixed":
        return fixed_ladder(info)[: options.max_rungs]
    report.start("ladder", "Per-title trial encodes (VMAF)", 1)
    workdir = staging / "trials"
    rungs, _ = await per_title_ladder(
        source,
        info,
        workdir,
        preset=options.preset,
        segment_seconds=options.segment_seconds,
        sample_seconds=options.trial_seconds,
        max_rungs=options.max_rungs,
        on_step=lambda done, total: _steps(report, "ladder", done, total),
    )
    await asyncio.to_thread(shutil.rmtree, workdir)
    report.finish("ladder")
    return rungs


def _steps(report: Progress, key: str, done: int, total: int) -> None:
    report.update(key, done / total)


@contextlib.contextmanager
def _title_lock(media_root: Path, title: str) -> Iterator[None]:
    folder = media_root / STAGING
    folder.mkdir(parents=True, exist_ok=True)
    # flock, not the file's existence: the kernel drops it when a killed ingest dies.
    with open(folder / f"{title}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"{title} is already being ingested") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _fresh_folder(folder: Path) -> None:
    # Whatever a crashed run left here is unfinished by definition: start over.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def _publish_folder(staging: Path, target: Path) -> None:
    # fsync the files first: a rename can reach the disk before the data it names.
    for path in staging.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    os.rename(staging, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _record(folder: Path, drm: str) -> dict[str, object]:
    """The asset's row, less where it is published and its key."""
    manifest = load_manifest(folder)
    ladder = [
        {
            "id": track.id,
            "width": track.width,
            "height": track.height,
            "bitrate": track.bitrate,
            "bandwidth": track.bandwidth,
            "average_bandwidth": track.average_bandwidth,
            "codecs": track.codecs,
            "vmaf": track.vmaf,
        }
        for track in manifest.video
    ]
    return {
        "ladder": ladder,
        "duration_seconds": manifest.duration,
        "codecs": list(manifest.codecs),
        "size_bytes": folder_size(folder),
        "drm": drm,
        "key_id": None,
        "encrypted_key": None,
    }


async def _retire_in_bucket(objects: ObjectStore, name: str) -> None:
    """:func:`_retire` for assets in the bucket: the marks are objects there too, so any
    machine's next ingest deletes what any other retired."""
    try:
        await objects.put(f"{RETIRED_PREFIX}/{name}", b"")
        horizon = time.time() - RETIRE_AFTER_SECONDS
        for mark in await objects.list(RETIRED_PREFIX):
            if mark.last_modified.timestamp() < horizon:
                await delete_asset(objects, mark.key.rsplit("/", 1)[-1])
                await objects.delete(mark.key)
    except (ObjectStoreError, ObjectStoreUnavailable):
        # The new asset is published: a bucket away now only delays the clean-up of the
        # old one (a later ingest marks and deletes it), it is no failed ingest.
        pass


def _retire(media_root: Path, name: str) -> None:
    """Mark a replaced asset for deletion, and delete those marked long enough ago.

    The folder stays where it is meanwhile: a viewer who started it before the new
    encode was published keeps fetching its segments by the same URLs.
    """
    marks = media_root / RETIRED
    marks.mkdir(exist_ok=True)
    (marks / name).touch()
    horizon = time.time() - RETIRE_AFTER_SECONDS
    for mark in marks.iterdir():
        if mark.stat().st_mtime < horizon:
            shutil.rmtree(media_root / mark.name, ignore_errors=True)
            mark.unlink()
