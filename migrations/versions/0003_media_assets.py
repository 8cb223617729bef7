"""media assets: encoded titles, their ladders and sealed content keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_assets",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("episode_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="processing", nullable=False),
        sa.Column(
            "ladder", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("codecs", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("drm", sa.String(length=10), server_default="none", nullable=False),
        sa.Column("key_id", sa.UUID(), nullable=True),
        sa.Column("encrypted_key", sa.LargeBinary(), nullable=True),
        sa.Column("storage_path", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('processing', 'ready', 'failed')", name=op.f("ck_media_assets_status")
        ),
        sa.CheckConstraint("drm IN ('none', 'clearkey')", name=op.f("ck_media_assets_drm")),
        sa.CheckConstraint(
            "drm = 'none' OR (key_id IS NOT NULL AND encrypted_key IS NOT NULL)",
            name=op.f("ck_media_assets_drm_key"),
        ),
        sa.CheckConstraint(
            "status <> 'ready' OR storage_path IS NOT NULL",
            name=op.f("ck_media_assets_ready_path"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episodes.id"],
            name=op.f("fk_media_assets_episode_id_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_media_assets_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_assets")),
        sa.UniqueConstraint(
            "video_id",
            "episode_id",
            name="uq_media_assets_title",
            postgresql_nulls_not_distinct=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("media_assets")
