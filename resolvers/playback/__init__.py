"""The playback query: what a player needs to start a title, for this account and device."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import BadUserInput, NotFound
from core.plans import Plan
from core.records import VideoType
from datasources.playback import assets
from media.delivery import AssetUrls, MediaKeys
from media.manifests import BASELINE_FAMILIES, AssetManifest, Track, allowed_video
from media.published import published_manifest
from resolvers.catalog import visible_video
from resolvers.context import Context
from resolvers.viewing import episode_of, resume_position

CLEAR_KEY = "org.w3.clearkey"
ABR_EXPERIMENT = "abr_settings"


@dataclass(frozen=True)
class Abr:
    """The player's adaptive-bitrate rule: EWMA bandwidth estimate, a rung at most
    ``headroom`` of it, and the lowest rung while the buffer is below the safety margin."""

    headroom: float = 0.8
    ewma_alpha: float = 0.3
    buffer_safety_seconds: float = 10.0


@dataclass(frozen=True)
class Device:
    max_height: int | None = None
    codecs: Sequence[str] | None = None
    drm: Sequence[str] | None = None


@dataclass(frozen=True)
class Thumbnails:
    url: str
    tile_urls: list[str]
    interval: int
    width: int
    height: int
    columns: int
    rows: int


@dataclass(frozen=True)
class Playback:
    video_id: int
    episode_id: int | None
    dash_url: str
    hls_url: str
    representations: list[Track]
    resume_position_seconds: float
    abr: Abr
    drm_key_system: str | None
    drm_license_url: str | None
    thumbnails: Thumbnails | None
    duration_seconds: float


def abr_settings(treatment: Mapping[str, Any] | None) -> Abr:
    """The seed's defaults, or what an ABR experiment's variant sets (within sane bounds)."""
    chosen = (treatment or {}).get("abr")
    if not isinstance(chosen, Mapping):
        return Abr()
    default = Abr()

    def pick(name: str, low: float, high: float, fallback: float) -> float:
        value = chosen.get(name)
        ok = isinstance(value, int | float) and low <= value <= high
        return float(value) if ok else fallback  # type: ignore[arg-type]

    return Abr(
        headroom=pick("headroom", 0.1, 1.0, default.headroom),
        ewma_alpha=pick("ewmaAlpha", 0.01, 1.0, default.ewma_alpha),
        buffer_safety_seconds=pick("bufferSafetySeconds", 0, 120, default.buffer_safety_seconds),
    )


def _cap(plan: str, device: Device) -> int:
    cap = Plan(plan).max_height
    if device.max_height is not None:
        if device.max_height < 144:
            raise BadUserInput("`device.maxHeight` must be at least 144.")
        cap = min(cap, device.max_height)
    return cap


def _families(device: Device) -> frozenset[str]:
    """The codec families to offer: what the device declares (``avc1.640028`` counts as
    ``avc1``), or H.264 alone when it declares nothing. AV1 only ever goes to a device
    that asks for it: an older one would pick it from the manifest and fail to decode."""
    if device.codecs is None:
        return BASELINE_FAMILIES
    return frozenset(codec.split(".")[0].strip().lower() for codec in device.codecs)


def _playable(manifest: AssetManifest, cap: int, device: Device) -> list[Track]:
    families = _families(device)
    tracks = [t for t in allowed_video(manifest, cap, families) if t.family in families]
    if not tracks:
        raise BadUserInput("This title has no rendition in a codec your device plays.")
    if manifest.key_id is not None and device.drm is not None and CLEAR_KEY not in device.drm:
        raise BadUserInput(f"This title needs {CLEAR_KEY} DRM, which your device lacks.")
    return tracks


async def playback(
    ctx: Context, keys: MediaKeys, video_id: str, episode_id: str | None, device: Device
) -> Playback:
    profile = ctx.viewer.require_profile()
    account = ctx.viewer.require_account()
    video = await visible_video(ctx, profile, video_id)
    if video.type == VideoType.SERIES and episode_id is None:
        standing = await ctx.loaders.title_state.load((profile.id, video.id))
        first = await _first_episode(ctx, video.id)
        episode_id = str(standing.episode_id if standing and standing.episode_id else first)
    episode = await episode_of(ctx, video, episode_id)
    asset = await assets.get_asset(ctx.engine, video.id, episode.id if episode else None)
    if asset is None or asset.status != "ready" or asset.storage_path is None:
        raise NotFound("This title has no playable media yet.")
    # From the media root, or the bucket the asset was published to (cached: immutable).
    manifest = await published_manifest(keys, asset.storage_path)
    cap = _cap(account.plan, device)
    tracks = _playable(manifest, cap, device)
    # The manifests list exactly the codecs offered here (and the audio's, always).
    families = frozenset(track.family for track in tracks)
    urls = AssetUrls(
        keys.signing_key,
        keys.base_url,
        asset.storage_path,
        int(time.time()) + keys.url_ttl_seconds,
    )
    episode_query = f"&episode={episode.id}" if episode else ""
    return Playback(
        video_id=video.id,
        episode_id=episode.id if episode else None,
        dash_url=urls.manifest("manifest", cap, families),
        hls_url=urls.manifest("master", cap, families),
        representations=tracks,
        resume_position_seconds=await resume_position(ctx, profile, video, episode),
        abr=abr_settings(ctx.treatments.get(ABR_EXPERIMENT)),
        drm_key_system=CLEAR_KEY if manifest.key_id else None,
        drm_license_url=(
            f"/drm/clearkey/license?video={video.id}{episode_query}" if manifest.key_id else None
        ),
        thumbnails=_thumbnails(manifest, urls),
        duration_seconds=manifest.duration,
    )


async def _first_episode(ctx: Context, video_id: int) -> int:
    seasons = await ctx.loaders.seasons.load(video_id)
    for episodes in await ctx.loaders.episodes.load_many([s.id for s in seasons]):
        if episodes:
            return episodes[0].id
    raise NotFound("This series has no episodes yet.")


def _thumbnails(manifest: AssetManifest, urls: AssetUrls) -> Thumbnails | None:
    tiles = manifest.trickplay
    if tiles is None or not tiles.files:
        return None
    signed = [urls.sign(name) for name in tiles.files]
    return Thumbnails(
        url=signed[0],
        tile_urls=signed,
        interval=tiles.interval,
        width=tiles.width,
        height=tiles.height,
        columns=tiles.columns,
        rows=tiles.rows,
    )
