"""embeddings: trained models, the current-model switch, profile and title vectors

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embedding_models",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column(
            "params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("profiles", sa.Integer(), server_default="0", nullable=False),
        sa.Column("titles", sa.Integer(), server_default="0", nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_embedding_models")),
    )
    op.create_table(
        "current_embedding_model",
        sa.Column("singleton", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column(
            "switched_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("singleton", name=op.f("ck_current_embedding_model_singleton")),
        sa.ForeignKeyConstraint(
            ["version"],
            ["embedding_models.version"],
            name=op.f("fk_current_embedding_model_version_embedding_models"),
        ),
        sa.PrimaryKeyConstraint("singleton", name=op.f("pk_current_embedding_model")),
    )
    op.create_table(
        "profile_embeddings",
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("profile_id", sa.UUID(), nullable=False),
        sa.Column("vector", postgresql.ARRAY(sa.REAL()), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["embedding_models.version"],
            name=op.f("fk_profile_embeddings_model_version_embedding_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_profile_embeddings_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_version", "profile_id", name=op.f("pk_profile_embeddings")),
    )
    op.create_index(
        "ix_profile_embeddings_profile_id", "profile_embeddings", ["profile_id"], unique=False
    )
    op.create_table(
        "title_embeddings",
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("vector", postgresql.ARRAY(sa.REAL()), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["embedding_models.version"],
            name=op.f("fk_title_embeddings_model_version_embedding_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_title_embeddings_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_version", "video_id", name=op.f("pk_title_embeddings")),
    )
    op.create_index("ix_title_embeddings_video_id", "title_embeddings", ["video_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_title_embeddings_video_id", table_name="title_embeddings")
    op.drop_table("title_embeddings")
    op.drop_index("ix_profile_embeddings_profile_id", table_name="profile_embeddings")
    op.drop_table("profile_embeddings")
    op.drop_table("current_embedding_model")
    op.drop_table("embedding_models")
