"""Ingest end to end: real encodes, checked the way a player would use them."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BadUserInput, Conflict, NotFound
from datasources.playback.assets import get_asset
from datasources.playback.tables import media_assets
from media import mp4
from media.drm import b64decode, b64url, pssh_box, unseal
from media.ffmpeg import run_ffmpeg
from media.ingest import RETIRE_AFTER_SECONDS, RETIRED, STAGING, IngestOptions, ingest
from media.manifests import HLS_MASTER_FILE, MPD_FILE, load_manifest
from media.probe import probe
from resolvers.playback.license import title_license
from tests.media.conftest import add_episode
from tests.media.helpers import (
    assert_valid_mpd,
    decode,
    every_track,
    joined,
    keyframe_times,
    segment_starts,
)

pytestmark = pytest.mark.media

MASTER_KEY = bytes(range(32))
FAST = IngestOptions(segment_seconds=2, preset="ultrafast")


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(media_assets)) or 0)


def _published(media_root: Path) -> list[str]:
    if not media_root.exists():
        return []
    return sorted(p.name for p in media_root.iterdir() if not p.name.startswith("."))


def _staged(media_root: Path) -> list[str]:
    staging = media_root / STAGING
    return sorted(p.name for p in staging.iterdir() if p.is_dir()) if staging.exists() else []


async def test_fixed_ladder_asset_plays_like_a_stream(
    engine: AsyncEngine, movie: int, bikes: Path, media_root: Path, tmp_path: Path
) -> None:
    asset = await ingest(engine, bikes, media_root, video_id=movie, options=FAST)

    assert asset.status == "ready" and asset.drm == "none" and asset.key_id is None
    assert asset.storage_path is not None and _published(media_root) == [asset.storage_path]
    assert _staged(media_root) == []
    # 640x272 fits the 360p and 240p boxes of the fixed ladder, and nothing larger.
    assert [(r["width"], r["height"], r["bitrate"]) for r in asset.ladder] == [
        (640, 272, 560_000),
        (426, 182, 235_000),
    ]
    assert all(r["codecs"].startswith("avc1.") and r["bandwidth"] > 0 for r in asset.ladder)
    assert asset.codecs == tuple(dict.fromkeys(r["codecs"] for r in asset.ladder))

    folder = media_root / asset.storage_path
    manifest = load_manifest(folder)
    assert_valid_mpd((folder / MPD_FILE).read_text())
    source = await probe(bikes)
    assert abs(manifest.duration - source.duration) <= FAST.segment_seconds
    assert asset.duration_seconds == manifest.duration
    assert asset.size_bytes == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    keyframes = []
    for track in manifest.video:
        # Segments of 2 s, the last one possibly shorter.
        assert all(d == track.durations[0] for d in track.durations[:-1])
        assert track.durations[0] / track.timescale == pytest.approx(2.0)
        stream = joined(folder, track, tmp_path / f"{track.id}.mp4")
        result = decode(stream)
        assert result.returncode == 0, result.stderr[-2000:]
        times = keyframe_times(stream)
        # A keyframe opens every segment, and there are no others.
        assert times == pytest.approx(segment_starts(track), abs=0.05)
        keyframes.append(times)
    assert all(times == keyframes[0] for times in keyframes)

    master = (folder / HLS_MASTER_FILE).read_text()
    assert master.count("#EXT-X-STREAM-INF") == 2
    for track in manifest.video:
        playlist = (folder / track.playlist).read_text()
        assert '#EXT-X-MAP:URI="init.mp4"' in playlist
        assert playlist.count("#EXTINF") == len(track.durations)

    images = manifest.images
    for name in ("poster", "backdrop", "trickplay"):
        assert (folder / images[name]).is_file()
    trickplay = json.loads((folder / images["trickplay"]).read_text())
    assert trickplay["width"] == 320 and trickplay["interval"] == 10
    assert (trickplay["columns"], trickplay["rows"]) == (10, 10)
    assert trickplay["count"] == 1  # one frame per started 10 s
    assert all((folder / "images" / tile).is_file() for tile in trickplay["tiles"])


async def test_per_title_clearkey_asset(
    engine: AsyncEngine, movie: int, cartoon: Path, media_root: Path, tmp_path: Path
) -> None:
    options = IngestOptions(
        ladder="per-title", drm="clearkey", segment_seconds=2, preset="ultrafast", trial_seconds=3
    )
    asset = await ingest(
        engine, cartoon, media_root, video_id=movie, options=options, master_key=MASTER_KEY
    )

    assert asset.drm == "clearkey" and asset.key_id is not None
    assert all(rung["vmaf"] is not None for rung in asset.ladder)
    assert asset.ladder[-1]["bitrate"] <= 300_000
    folder = media_root / (asset.storage_path or "")
    manifest = load_manifest(folder)
    assert manifest.key_id == str(asset.key_id)
    assert manifest.audio is not None and manifest.audio.codecs == "mp4a.40.2"
    mpd = (folder / MPD_FILE).read_text()
    assert_valid_mpd(mpd)
    assert mpd.count('value="cenc"') == 2  # video and audio adaptation sets
    assert 'contentType="audio"' in mpd

    # The stored key is sealed, and the license hands out the key that decrypts the segments.
    async with engine.connect() as connection:
        sealed = await connection.scalar(select(media_assets.c.encrypted_key))
    assert sealed is not None
    kid = asset.key_id.bytes
    content_key = unseal(MASTER_KEY, kid, bytes(sealed)).key
    assert content_key not in bytes(sealed)
    license = await title_license(engine, MASTER_KEY, movie, None, [b64url(kid)])
    assert license["type"] == "temporary"
    (entry,) = license["keys"]
    assert entry["kty"] == "oct" and b64decode(entry["kid"]) == kid
    assert b64decode(entry["k"]) == content_key

    for track in every_track(manifest):
        # The W3C common PSSH naming the key, in every init segment: the browser's init data.
        init = (folder / track.init).read_bytes()
        moov = mp4.find(init, "moov")
        assert moov is not None
        pssh = mp4.find(init, "pssh", moov.payload, moov.end)
        assert pssh is not None and init[pssh.start : pssh.end] == pssh_box([kid])
        assert track.codecs == mp4.codec_string(init)
        stream = joined(folder, track, tmp_path / f"{track.id}.mp4")
        assert decode(stream, content_key).returncode == 0
        assert decode(stream, bytes(16)).returncode != 0  # the wrong key decodes nothing
    encrypted_video = joined(folder, manifest.video[0], tmp_path / "video.mp4")
    assert keyframe_times(encrypted_video, content_key) == pytest.approx(
        segment_starts(manifest.video[0]), abs=0.05
    )
    source = await probe(cartoon)
    assert abs(manifest.duration - source.duration) <= options.segment_seconds


async def test_episode_assets_are_their_own(
    engine: AsyncEngine, cartoon: Path, media_root: Path
) -> None:
    video_id, episode_id = await add_episode(engine)
    asset = await ingest(engine, cartoon, media_root, episode_id=episode_id, options=FAST)
    assert (asset.video_id, asset.episode_id) == (video_id, episode_id)
    assert asset.storage_path is not None and asset.storage_path.startswith("episode-")
    assert await get_asset(engine, video_id, None) is None
    with pytest.raises(BadUserInput):
        await ingest(engine, cartoon, media_root, video_id=video_id + 1, episode_id=episode_id)


async def test_unknown_title_and_bad_options_change_nothing(
    engine: AsyncEngine, movie: int, cartoon: Path, media_root: Path
) -> None:
    with pytest.raises(NotFound):
        await ingest(engine, cartoon, media_root, video_id=movie + 1000)
    with pytest.raises(BadUserInput, match="master key"):
        await ingest(
            engine, cartoon, media_root, video_id=movie, options=IngestOptions(drm="clearkey")
        )
    with pytest.raises(BadUserInput, match="2 to 4"):
        await ingest(
            engine, cartoon, media_root, video_id=movie, options=IngestOptions(segment_seconds=6)
        )
    assert await _count(engine) == 0
    assert _published(media_root) == []


@pytest.mark.parametrize("damage", ["truncated", "text", "audio only"])
async def test_a_bad_source_changes_nothing(
    engine: AsyncEngine,
    movie: int,
    bikes: Path,
    media_root: Path,
    tmp_path: Path,
    damage: str,
) -> None:
    source = tmp_path / "source.mp4"
    if damage == "audio only":
        await run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=3", "-c:a", "aac", str(source)])
    else:
        _damage(bikes, source, damage)
    with pytest.raises(BadUserInput) as raised:
        await ingest(engine, source, media_root, video_id=movie, options=FAST)
    assert "source.mp4" in raised.value.message
    assert await _count(engine) == 0
    assert _published(media_root) == [] and _staged(media_root) == []


def _damage(clip: Path, target: Path, how: str) -> None:
    if how == "truncated":  # the index (moov) is at the end of these files
        target.write_bytes(clip.read_bytes()[:300_000])
    else:
        target.write_text("definitely not a movie\n")


class _Encoding:
    """A progress reporter that says when the first rung's encode has begun."""

    def __init__(self) -> None:
        self.begun = asyncio.Event()

    def start(self, key: str, description: str, total: float) -> None:
        pass

    def update(self, key: str, completed: float) -> None:
        if key.startswith("encode"):
            self.begun.set()

    def finish(self, key: str) -> None:
        pass


class _Interrupt:
    """A progress reporter that presses Ctrl-C once the second rung is half encoded."""

    def __init__(self, at: str) -> None:
        self.at = at
        self.started: list[str] = []

    def start(self, key: str, description: str, total: float) -> None:
        self.started.append(key)

    def update(self, key: str, completed: float) -> None:
        if key == self.at and completed > 1:
            raise KeyboardInterrupt

    def finish(self, key: str) -> None:
        pass


async def test_an_interrupted_ingest_leaves_nothing_and_a_rerun_succeeds(
    engine: AsyncEngine, movie: int, cartoon: Path, media_root: Path
) -> None:
    reporter = _Interrupt(at="encode 240p-235k")
    with pytest.raises(KeyboardInterrupt):
        await ingest(engine, cartoon, media_root, video_id=movie, options=FAST, progress=reporter)
    assert "encode 360p-560k" in reporter.started  # the first rung was finished
    assert await _count(engine) == 0
    assert _published(media_root) == [] and _staged(media_root) == []

    asset = await ingest(engine, cartoon, media_root, video_id=movie, options=FAST)
    assert asset.status == "ready" and _published(media_root) == [asset.storage_path]


async def test_a_cancelled_reingest_keeps_the_old_asset(
    engine: AsyncEngine, movie: int, cartoon: Path, media_root: Path
) -> None:
    first = await ingest(engine, cartoon, media_root, video_id=movie, options=FAST)
    encoding = _Encoding()
    task = asyncio.create_task(
        ingest(engine, cartoon, media_root, video_id=movie, options=FAST, progress=encoding)
    )
    await encoding.begun.wait()
    assert _staged(media_root) == [f"video-{movie}"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await get_asset(engine, movie, None) == first
    assert _published(media_root) == [first.storage_path] and _staged(media_root) == []


async def test_a_crashed_runs_staging_folder_is_cleared(
    engine: AsyncEngine, movie: int, cartoon: Path, media_root: Path
) -> None:
    # As a killed process would leave it: half the segments of some rung.
    stale = media_root / STAGING / f"video-{movie}" / "video" / "360p-560k"
    stale.mkdir(parents=True)
    (stale / "seg-00007.m4s").write_bytes(b"half a segment")
    asset = await ingest(engine, cartoon, media_root, video_id=movie, options=FAST)
    folder = media_root / (asset.storage_path or "")
    assert not (folder / "video/360p-560k/seg-00007.m4s").exists()
    assert _staged(media_root) == []


async def test_reingest_publishes_a_new_folder_and_retires_the_old(
    engine: AsyncEngine, movie: int, cartoon: Path, media_root: Path
) -> None:
    first = await ingest(engine, cartoon, media_root, video_id=movie, options=FAST)
    second = await ingest(engine, cartoon, media_root, video_id=movie, options=FAST)
    assert second.id == first.id and second.storage_path != first.storage_path
    assert await _count(engine) == 1
    # Viewers still playing the old encode can finish: it stays, marked for deletion.
    assert _published(media_root) == sorted([str(first.storage_path), str(second.storage_path)])
    mark = media_root / RETIRED / (first.storage_path or "")
    assert mark.is_file()

    a_day_ago = time.time() - RETIRE_AFTER_SECONDS - 1
    os.utime(mark, (a_day_ago, a_day_ago))
    third = await ingest(engine, cartoon, media_root, video_id=movie, options=FAST)
    assert _published(media_root) == sorted([str(second.storage_path), str(third.storage_path)])
    assert not mark.exists()


async def test_two_ingests_of_one_title_conflict(
    engine: AsyncEngine, movie: int, cartoon: Path, media_root: Path
) -> None:
    # Another process's ingest of the title holds its lock.
    lock_file = media_root / STAGING / f"video-{movie}.lock"
    lock_file.parent.mkdir(parents=True)
    with lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(Conflict, match="already being ingested"):
            await ingest(engine, cartoon, media_root, video_id=movie, options=FAST)
    assert await _count(engine) == 0
    # Once it is gone (even killed: the kernel drops the lock), ingests go ahead.
    asset = await ingest(engine, cartoon, media_root, video_id=movie, options=FAST)
    assert asset.status == "ready"
