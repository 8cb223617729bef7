"""The media tables, on the shared metadata: encoded assets and their content keys.

A module of its own so that the media pipeline's schema is found in one hop; importing it
registers the tables on :data:`datasources.tables.metadata`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from datasources.tables import metadata

ASSET_STATUSES = ("processing", "ready", "failed")
DRM_SCHEMES = ("none", "clearkey")

media_assets = Table(
    "media_assets",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("video_id", BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), nullable=False),
    # NULL for a movie; a series' episodes each have their own asset.
    Column("episode_id", BigInteger, ForeignKey("episodes.id", ondelete="CASCADE")),
    Column("status", String(10), nullable=False, server_default="processing"),
    # One object per rung: id, width, height, bitrate, bandwidth, codecs, vmaf.
    Column("ladder", JSONB, nullable=False, server_default="[]"),
    Column("duration_seconds", Float),
    Column("codecs", ARRAY(Text), nullable=False, server_default="{}"),
    Column("size_bytes", BigInteger),
    Column("drm", String(10), nullable=False, server_default="none"),
    Column("key_id", UUID(as_uuid=True)),
    # The content key sealed with AES-GCM under the master key: never stored in the clear.
    Column("encrypted_key", LargeBinary),
    # The published folder, relative to the media root; it changes with every ingest, so
    # segment URLs of an old encode never collide with a new one's in a CDN cache.
    Column("storage_path", Text),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('processing', 'ready', 'failed')", name="status"),
    CheckConstraint("drm IN ('none', 'clearkey')", name="drm"),
    CheckConstraint(
        "drm = 'none' OR (key_id IS NOT NULL AND encrypted_key IS NOT NULL)", name="drm_key"
    ),
    CheckConstraint("status <> 'ready' OR storage_path IS NOT NULL", name="ready_path"),
    # NULLS NOT DISTINCT: a movie (episode NULL) has one asset too (PostgreSQL 15+).
    UniqueConstraint(
        "video_id", "episode_id", name="uq_media_assets_title", postgresql_nulls_not_distinct=True
    ),
)
