"""experiments: full definitions as JSON, and per-profile metrics

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SEED_COLUMNS = ("name", "description", "allocation_percent", "variants", "targeting")


def upgrade() -> None:
    for column in _SEED_COLUMNS:
        op.drop_column("experiments", column)
    op.add_column(
        "experiments",
        sa.Column(
            "definition",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default="{}",
        ),
    )
    op.alter_column("experiments", "definition", server_default=None)
    op.add_column(
        "experiments",
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_table(
        "experiment_profiles",
        sa.Column("experiment_key", sa.String(length=64), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.UUID(), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("forced", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("exposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pre_watch_seconds", sa.Float(), server_default="0", nullable=False),
        sa.Column("starts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("watch_seconds", sa.Float(), server_default="0", nullable=False),
        sa.Column("completions", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rebuffer_seconds", sa.Float(), server_default="0", nullable=False),
        sa.Column("first_frame_ms_total", sa.Float(), server_default="0", nullable=False),
        sa.Column("first_frames", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "experiment_key", "phase", "profile_id", name=op.f("pk_experiment_profiles")
        ),
    )
    op.create_index(
        "ix_experiment_profiles_profile", "experiment_profiles", ["profile_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_experiment_profiles_profile", table_name="experiment_profiles")
    op.drop_table("experiment_profiles")
    op.drop_column("experiments", "updated_at")
    op.drop_column("experiments", "definition")
    op.add_column("experiments", sa.Column("name", sa.Text(), nullable=False, server_default=""))
    op.add_column("experiments", sa.Column("description", sa.Text(), server_default=""))
    op.add_column("experiments", sa.Column("allocation_percent", sa.Float(), server_default="100"))
    op.add_column(
        "experiments",
        sa.Column("variants", postgresql.JSONB(astext_type=sa.Text()), server_default="[]"),
    )
    op.add_column(
        "experiments",
        sa.Column("targeting", postgresql.JSONB(astext_type=sa.Text()), server_default="{}"),
    )
