"""Playback types: what a player needs to start a title, and what it reports back."""

from __future__ import annotations

import hashlib
from datetime import datetime

import strawberry

from core.telemetry import PlaybackEventType
from media.manifests import Track
from resolvers import playback
from schema.context import Info


@strawberry.type
class Representation:
    id: str
    bandwidth: int
    width: int | None
    height: int | None
    codecs: str

    @classmethod
    def of(cls, track: Track) -> Representation:
        return cls(
            id=track.id,
            bandwidth=track.bandwidth,
            width=track.width,
            height=track.height,
            codecs=track.codecs,
        )


@strawberry.type
class AbrSettings:
    headroom: float = strawberry.field(description="Use at most this share of the estimate.")
    ewma_alpha: float = strawberry.field(description="Weight of the newest bandwidth sample.")
    buffer_safety_seconds: float = strawberry.field(
        description="Below this much buffer ahead, play the lowest rung."
    )


@strawberry.type
class Drm:
    key_system: str
    license_url: str


@strawberry.type
class Thumbnails:
    url: str = strawberry.field(description="The first tile image (signed).")
    tile_urls: list[str] = strawberry.field(description="Every tile image, in order (signed).")
    interval: int = strawberry.field(description="Seconds of video between thumbnails.")
    width: int
    height: int
    columns: int
    rows: int


@strawberry.type
class Playback:
    dash_url: str
    hls_url: str
    representations: list[Representation]
    resume_position_seconds: float
    duration_seconds: float
    abr: AbrSettings
    drm: Drm | None
    thumbnails: Thumbnails | None
    video_id: strawberry.ID
    episode_id: strawberry.ID | None

    @strawberry.field(
        description="Stable cache key: `profile:video:episode:renditions`, the last part a"
        " digest of the representation ids (another device, another answer)."
    )
    def id(self, info: Info) -> strawberry.ID:
        profile = info.context.viewer.require_profile()
        renditions = ",".join(r.id for r in self.representations).encode()
        digest = hashlib.sha256(renditions).hexdigest()[:12]
        return strawberry.ID(f"{profile.id}:{self.video_id}:{self.episode_id or '-'}:{digest}")

    @classmethod
    def of(cls, found: playback.Playback) -> Playback:
        tiles = found.thumbnails
        return cls(
            dash_url=found.dash_url,
            hls_url=found.hls_url,
            representations=[Representation.of(track) for track in found.representations],
            resume_position_seconds=found.resume_position_seconds,
            duration_seconds=found.duration_seconds,
            abr=AbrSettings(
                headroom=found.abr.headroom,
                ewma_alpha=found.abr.ewma_alpha,
                buffer_safety_seconds=found.abr.buffer_safety_seconds,
            ),
            drm=Drm(key_system=found.drm_key_system, license_url=found.drm_license_url)
            if found.drm_key_system and found.drm_license_url
            else None,
            thumbnails=Thumbnails(
                url=tiles.url,
                tile_urls=tiles.tile_urls,
                interval=tiles.interval,
                width=tiles.width,
                height=tiles.height,
                columns=tiles.columns,
                rows=tiles.rows,
            )
            if tiles
            else None,
            video_id=strawberry.ID(str(found.video_id)),
            episode_id=strawberry.ID(str(found.episode_id)) if found.episode_id else None,
        )


@strawberry.input
class DeviceInput:
    max_height: int | None = None
    codecs: list[str] | None = strawberry.field(
        default=None, description="Codec families it plays, e.g. avc1."
    )
    drm: list[str] | None = strawberry.field(
        default=None, description="Key systems it supports, e.g. org.w3.clearkey."
    )


strawberry.enum(PlaybackEventType, name="PlaybackEventType")


@strawberry.input
class PlaybackEventInput:
    type: PlaybackEventType
    video_id: strawberry.ID
    episode_id: strawberry.ID | None = None
    at: datetime
    playback_session_id: str | None = None
    position_seconds: float | None = None
    bitrate_kbps: float | None = None
    duration_ms: float | None = None
    error_code: str | None = None
    message: str | None = None
