"""Delivery URLs: what a player may fetch, for how long, signed.

Manifests are rendered per request for a height cap (the plan and the device) and the
codec families the device plays beyond H.264 (``manifest-2160-av01.mpd``), so each
manifest URL is signed for exactly itself, cap and codecs included. Inside it, every file URL is
signed for its own folder only (one rung, the audio, the images), so a manifest capped
at 720p gives no key to the 1080p segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from datasources.objects import ObjectStore
from media.manifests import BASELINE_FAMILIES, AssetManifest
from media.signing import sign_path

PREFIX = "/media/"


@dataclass(frozen=True)
class MediaKeys:
    """Where published media lives and how its URLs are signed (one per process)."""

    signing_key: bytes
    base_url: str
    media_root: Path
    url_ttl_seconds: int
    # The bucket assets are published to when S3 is configured (media/published.py);
    # None: they are all in media_root.
    objects: ObjectStore | None = None
    # Descriptions read from the bucket, by asset (media/published.py keeps it bounded).
    manifests: dict[str, AssetManifest] = field(default_factory=dict, compare=False, repr=False)


_MANIFEST = re.compile(
    r"^(?P<asset>[A-Za-z0-9._-]+)/(?P<kind>manifest|master)-(?P<height>\d{3,4})"
    r"(?:-(?P<families>[a-z0-9]{4}(?:\+[a-z0-9]{4})*))?\.(mpd|m3u8)$"
)
_PLAYLIST = re.compile(
    r"^(?P<asset>[A-Za-z0-9._-]+)/(?:(?P<video>video/[A-Za-z0-9._-]+)/(?P<kind>playlist|iframes)"
    r"|(?P<audio>audio)/playlist)\.m3u8$"
)
_SAFE = "/$%"


@dataclass(frozen=True)
class ManifestRequest:
    asset: str
    kind: str  # "manifest" (DASH) or "master" (HLS)
    max_height: int
    families: frozenset[str] = BASELINE_FAMILIES
    """The codec families to list: H.264 unless the URL names others."""


@dataclass(frozen=True)
class PlaylistRequest:
    asset: str
    track_folder: str  # "video/720p" or "audio"
    iframes: bool = False  # a rung's I-frame playlist rather than its media playlist


def parse(path: str) -> ManifestRequest | PlaylistRequest | None:
    """What a /media path asks for when it is rendered rather than read from disk."""
    relative = path.removeprefix(PREFIX)
    if match := _MANIFEST.match(relative):
        families = frozenset(match["families"].split("+")) if match["families"] else None
        return ManifestRequest(
            match["asset"], match["kind"], int(match["height"]), families or BASELINE_FAMILIES
        )
    if match := _PLAYLIST.match(relative):
        folder = match["video"] or match["audio"]
        return PlaylistRequest(match["asset"], folder, iframes=match["kind"] == "iframes")
    return None


def _scope(asset: str, relative: str) -> str:
    """The folder a file's signature covers: its rung, the audio, or the images."""
    parts = relative.split("/")
    depth = 2 if parts[0] in ("video", "images") and len(parts) > 2 else 1
    return f"{PREFIX}{asset}/{'/'.join(parts[:depth])}/"


@dataclass(frozen=True)
class AssetUrls:
    key: bytes
    base_url: str  # "" for same-origin URLs, else a CDN's origin
    asset: str
    expires_at: int

    def sign(self, relative: str) -> str:
        """A file of the asset (``video/720p/seg-$Number%05d$.m4s``), signed for its folder."""
        scope = _scope(self.asset, relative)
        path = f"{PREFIX}{self.asset}/{relative}"
        return f"{self.base_url}{quote(path, safe=_SAFE)}?{sign_path(self.key, scope, self.expires_at)}"  # noqa: E501

    def manifest(
        self, kind: str, max_height: int, families: frozenset[str] = BASELINE_FAMILIES
    ) -> str:
        suffix = "mpd" if kind == "manifest" else "m3u8"
        named = "" if families == BASELINE_FAMILIES else "-" + "+".join(sorted(families))
        path = f"{PREFIX}{self.asset}/{kind}-{max_height}{named}.{suffix}"
        return f"{self.base_url}{path}?{sign_path(self.key, path, self.expires_at)}"
