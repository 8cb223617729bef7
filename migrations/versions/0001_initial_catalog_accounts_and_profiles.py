"""initial catalog, accounts and profiles

Revision ID: 0001
Revises:
Create Date: 2026-11-24 02:14:36.559898
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Trigram similarity lets search forgive typos ("toy stroy" finds "Toy Story").
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "accounts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("plan", sa.String(length=10), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "plan IN ('BASIC', 'STANDARD', 'PREMIUM')", name=op.f("ck_accounts_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_index(
        "uq_accounts_email_lower", "accounts", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="DRAFT", nullable=False),
        sa.Column("phase", sa.Integer(), server_default="1", nullable=False),
        sa.Column("allocation_percent", sa.Float(), server_default="100", nullable=False),
        sa.Column(
            "variants", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column(
            "targeting",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'RUNNING', 'STOPPED')", name=op.f("ck_experiments_status")
        ),
        sa.CheckConstraint(
            "allocation_percent BETWEEN 0 AND 100", name=op.f("ck_experiments_allocation_percent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("key", name=op.f("uq_experiments_key")),
    )
    op.create_table(
        "videos",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("release_year", sa.SmallInteger(), nullable=True),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=True),
        sa.Column("rating", sa.String(length=8), nullable=False),
        sa.Column("maturity_level", sa.SmallInteger(), nullable=False),
        sa.Column("genres", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("poster_url", sa.Text(), nullable=True),
        sa.Column("backdrop_url", sa.Text(), nullable=True),
        sa.Column("popularity", sa.Float(), server_default="0", nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')",
                persisted=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("type IN ('MOVIE', 'SERIES')", name=op.f("ck_videos_type")),
        sa.CheckConstraint("maturity_level BETWEEN 1 AND 5", name=op.f("ck_videos_maturity_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
        sa.UniqueConstraint("external_id", name=op.f("uq_videos_external_id")),
    )
    op.create_index("ix_videos_genres", "videos", ["genres"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_videos_maturity_popularity",
        "videos",
        ["maturity_level", sa.literal_column("popularity DESC"), "id"],
        unique=False,
    )
    op.create_index(
        "ix_videos_search_vector", "videos", ["search_vector"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_videos_title_trgm",
        "videos",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_table(
        "account_roles",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_roles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "role", name=op.f("pk_account_roles")),
    )
    op.create_table(
        "profiles",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("is_kids", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("maturity_level", sa.SmallInteger(), server_default="4", nullable=False),
        sa.Column("language", sa.String(length=16), server_default="en", nullable=False),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "NOT is_kids OR maturity_level <= 2", name=op.f("ck_profiles_kids_maturity")
        ),
        sa.CheckConstraint(
            "maturity_level BETWEEN 1 AND 5", name=op.f("ck_profiles_maturity_level")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_profiles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
    )
    op.create_index(
        "uq_profiles_account_name",
        "profiles",
        ["account_id", sa.literal_column("lower(name)")],
        unique=True,
    )
    op.create_table(
        "seasons",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("season_number", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_seasons_video_id_videos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seasons")),
        sa.UniqueConstraint("video_id", "season_number", name="uq_seasons_video_number"),
    )
    op.create_table(
        "episodes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("season_id", sa.BigInteger(), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("episode_number", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["seasons.id"],
            name=op.f("fk_episodes_season_id_seasons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_episodes_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sa.UniqueConstraint("season_id", "episode_number", name="uq_episodes_season_number"),
    )
    op.create_index("ix_episodes_video_id", "episodes", ["video_id"], unique=False)
    op.create_table(
        "my_list",
        sa.Column("profile_id", sa.UUID(), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_my_list_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_my_list_video_id_videos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("profile_id", "video_id", name=op.f("pk_my_list")),
    )
    op.create_table(
        "ratings",
        sa.Column("profile_id", sa.UUID(), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column(
            "rated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("rating IN (-1, 1)", name=op.f("ck_ratings_rating")),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_ratings_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_ratings_video_id_videos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("profile_id", "video_id", name=op.f("pk_ratings")),
    )


def downgrade() -> None:
    op.drop_table("ratings")
    op.drop_table("my_list")
    op.drop_index("ix_episodes_video_id", table_name="episodes")
    op.drop_table("episodes")
    op.drop_table("seasons")
    op.drop_index("uq_profiles_account_name", table_name="profiles")
    op.drop_table("profiles")
    op.drop_table("account_roles")
    op.drop_index(
        "ix_videos_title_trgm",
        table_name="videos",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.drop_index("ix_videos_search_vector", table_name="videos", postgresql_using="gin")
    op.drop_index("ix_videos_maturity_popularity", table_name="videos")
    op.drop_index("ix_videos_genres", table_name="videos", postgresql_using="gin")
    op.drop_table("videos")
    op.drop_table("experiments")
    op.drop_index("uq_accounts_email_lower", table_name="accounts")
    op.drop_table("accounts")
