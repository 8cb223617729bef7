"""viewing progress, titles and the event outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 02:29:31.945870
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_event_outbox_message_id")),
    )
    op.create_table(
        "viewing_progress",
        sa.Column("profile_id", sa.UUID(), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("episode_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("position_seconds", sa.Float(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("client_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_viewing_progress_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_viewing_progress_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "profile_id", "video_id", "episode_id", name=op.f("pk_viewing_progress")
        ),
    )
    op.create_table(
        "viewing_titles",
        sa.Column("profile_id", sa.UUID(), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("episode_id", sa.BigInteger(), nullable=True),
        sa.Column("position_seconds", sa.Float(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("client_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('NOT_STARTED', 'IN_PROGRESS', 'COMPLETED')",
            name=op.f("ck_viewing_titles_state"),
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_viewing_titles_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_viewing_titles_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("profile_id", "video_id", name=op.f("pk_viewing_titles")),
    )
    op.create_index(
        "ix_viewing_titles_recent",
        "viewing_titles",
        ["profile_id", sa.literal_column("client_timestamp DESC")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_viewing_titles_recent", table_name="viewing_titles")
    op.drop_table("viewing_titles")
    op.drop_table("viewing_progress")
    op.drop_table("event_outbox")
