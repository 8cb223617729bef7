"""The PostgreSQL schema as SQLAlchemy Core tables; Alembic migrations create it.

The CHECK constraints are spelled from the vocabularies in ``core`` (the migrations, being
history, spell them out; tests/datasources/test_vocabularies.py compares the two).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

from core import maturity
from core.plans import Plan
from core.records import VideoType
from core.thumbs import STORED_SCORES
from core.viewing_records import TitleStateKind

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def one_of(column: str, values: Iterable[StrEnum | int]) -> str:
    """``column IN (...)``: the CHECK that keeps a column within a vocabulary."""
    listed = ", ".join(f"'{v.value}'" if isinstance(v, StrEnum) else str(v) for v in values)
    return f"{column} IN ({listed})"


_MATURITY_RANGE = f"maturity_level BETWEEN {maturity.LOWEST} AND {maturity.HIGHEST}"


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


videos = Table(
    "videos",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    # Where an imported title came from ("movielens:1"); makes imports idempotent.
    Column("external_id", String(64), unique=True),
    Column("title", Text, nullable=False),
    Column("type", String(10), nullable=False),
    Column("release_year", SmallInteger),
    Column("duration_minutes", SmallInteger),
    Column("rating", String(8), nullable=False),
    Column("maturity_level", SmallInteger, nullable=False),
    Column("genres", ARRAY(Text), nullable=False, server_default="{}"),
    Column("description", Text, nullable=False, server_default=""),
    Column("poster_url", Text),
    Column("backdrop_url", Text),
    Column("popularity", Float, nullable=False, server_default="0"),
    Column(
        "search_vector",
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(description, '')), 'B')",
            persisted=True,
        ),
    ),
    _created_at(),
    CheckConstraint(one_of("type", VideoType), name="type"),
    CheckConstraint(_MATURITY_RANGE, name="maturity_level"),
    Index("ix_videos_search_vector", "search_vector", postgresql_using="gin"),
    Index(
        "ix_videos_title_trgm",
        "title",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    ),
    Index("ix_videos_genres", "genres", postgresql_using="gin"),
    Index("ix_videos_maturity_popularity", "maturity_level", text("popularity DESC"), "id"),
)

seasons = Table(
    "seasons",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("video_id", BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), nullable=False),
    Column("season_number", SmallInteger, nullable=False),
    Column("title", Text, nullable=False),
    UniqueConstraint("video_id", "season_number", name="uq_seasons_video_number"),
)

episodes = Table(
    "episodes",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("season_id", BigInteger, ForeignKey("seasons.id", ondelete="CASCADE"), nullable=False),
    Column("video_id", BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), nullable=False),
    Column("episode_number", SmallInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("duration_minutes", SmallInteger),
    Column("description", Text, nullable=False, server_default=""),
    UniqueConstraint("season_id", "episode_number", name="uq_episodes_season_number"),
    Index("ix_episodes_video_id", "video_id"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("email", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("country", String(2), nullable=False),
    Column("plan", String(10), nullable=False),
    _created_at(),
    CheckConstraint(one_of("plan", Plan), name="plan"),
    # Case-insensitive uniqueness: "A@x.com" and "a@x.com" are one account.
    Index("uq_accounts_email_lower", func.lower(text("email")), unique=True),
)

account_roles = Table(
    "account_roles",
    metadata,
    Column(
        "account_id",
        UUID(as_uuid=True),
        ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role", String(32), primary_key=True),
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

profiles = Table(
    "profiles",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column(
        "account_id",
        UUID(as_uuid=True),
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(50), nullable=False),
    Column("is_kids", Boolean, nullable=False, server_default="false"),
    Column(
        "maturity_level", SmallInteger, nullable=False, server_default=str(maturity.ADULT_DEFAULT)
    ),
    Column("language", String(16), nullable=False, server_default="en"),
    Column("avatar_url", Text),
    # The argon2 hash of the profile lock's PIN; NULL while the profile is not locked.
    Column("pin_hash", Text),
    _created_at(),
    CheckConstraint(_MATURITY_RANGE, name="maturity_level"),
    CheckConstraint(f"NOT is_kids OR maturity_level <= {maturity.KIDS_MAX}", name="kids_maturity"),
    Index("uq_profiles_account_name", "account_id", func.lower(text("name")), unique=True),
)

my_list = Table(
    "my_list",
    metadata,
    Column(
        "profile_id",
        UUID(as_uuid=True),
        ForeignKey("profiles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("video_id", BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

ratings = Table(
    "ratings",
    metadata,
    Column(
        "profile_id",
        UUID(as_uuid=True),
        ForeignKey("profiles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("video_id", BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True),
    # Thumbs.score: +1 thumbs up, -1 thumbs down; NONE deletes the row.
    Column("rating", SmallInteger, nullable=False),
    Column("rated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(one_of("rating", STORED_SCORES), name="rating"),
)

experiments = Table(
    "experiments",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("status", String(10), nullable=False, server_default="DRAFT"),
    Column("phase", Integer, nullable=False, server_default="1"),
    # The whole definition (variants, layer, targeting, metrics...), as experiments.codec
    # writes it; key, status and phase are copied out for querying.
    Column("definition", JSONB, nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("stopped_at", DateTime(timezone=True)),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # experiments.model.Status, which lives above this layer (a test compares the two).
    CheckConstraint("status IN ('DRAFT', 'RUNNING', 'STOPPED')", name="status"),
)

experiment_profiles = Table(
    "experiment_profiles",
    metadata,
    # One row per exposed profile and phase: the per-profile numbers the analysis reads.
    Column("experiment_key", String(64), primary_key=True),
    Column("phase", Integer, primary_key=True),
    Column("profile_id", UUID(as_uuid=True), primary_key=True),
    Column("variant", String(64), nullable=False),
    Column("forced", Boolean, nullable=False, server_default="false"),
    Column("exposed_at", DateTime(timezone=True), nullable=False),
    Column("pre_watch_seconds", Float, nullable=False, server_default="0"),
    Column("starts", Integer, nullable=False, server_default="0"),
    Column("watch_seconds", Float, nullable=False, server_default="0"),
    Column("completions", Integer, nullable=False, server_default="0"),
    Column("rebuffer_seconds", Float, nullable=False, server_default="0"),
    Column("first_frame_ms_total", Float, nullable=False, server_default="0"),
    Column("first_frames", Integer, nullable=False, server_default="0"),
    Index("ix_experiment_profiles_profile", "profile_id"),
)


# Viewing (the PostgreSQL adapter of the ViewingStore; Cassandra has its own CQL schema).

viewing_progress = Table(
    "viewing_progress",
    metadata,
    Column(
        "profile_id",
        UUID(as_uuid=True),
        ForeignKey("profiles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("video_id", BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True),
    # 0 for a movie, so the key is never NULL.
    Column("episode_id", BigInteger, primary_key=True, server_default="0"),
    Column("position_seconds", Float, nullable=False),
    Column("duration_seconds", Float, nullable=False),
    Column("client_timestamp", DateTime(timezone=True), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

viewing_titles = Table(
    "viewing_titles",
    metadata,
    Column(
        "profile_id",
        UUID(as_uuid=True),
        ForeignKey("profiles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("video_id", BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True),
    # Where the title stands as a whole: for a series, the episode to resume or start next.
    Column("episode_id", BigInteger),
    Column("position_seconds", Float, nullable=False),
    Column("duration_seconds", Float, nullable=False),
    Column("state", String(12), nullable=False),
    Column("client_timestamp", DateTime(timezone=True), nullable=False),
    Column("device_id", String(64), nullable=False),
    # Hidden from Continue Watching while hidden_at is later than the newest update.
    Column("hidden_at", DateTime(timezone=True)),
    CheckConstraint(one_of("state", TitleStateKind), name="state"),
    Index("ix_viewing_titles_recent", "profile_id", text("client_timestamp DESC")),
)

event_outbox = Table(
    "event_outbox",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("subject", String(200), nullable=False),
    Column("message_id", String(100), nullable=False, unique=True),
    Column("payload", JSONB, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    _created_at(),
)

# Backfill (lifecycle/backfill.py): archived events loaded back for analysis, once each.
archived_events = Table(
    "archived_events",
    metadata,
    Column("stream", String(32), primary_key=True),
    Column("sequence", BigInteger, primary_key=True),
    # The date partition it was archived under (when it happened, UTC).
    Column("event_date", Date, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),  # the broker's time
    Column("subject", String(200), nullable=False),
    Column("payload", JSONB, nullable=False),  # as archived: sealed fields stay sealed
    Index("ix_archived_events_stream_date", "stream", "event_date"),
)


# Crypto-shredding (datasources/events/sealing.py): the key that seals a person's fields in
# the append-only stores (event log, archives). Deleting a row is what erases them there.
subject_keys = Table(
    "subject_keys",
    metadata,
    # A profile's id or an account's own id: whose personal fields this key seals.
    Column("subject_id", UUID(as_uuid=True), primary_key=True),
    Column(
        "account_id",
        UUID(as_uuid=True),
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Random, and all a sealed envelope names: it says nothing about the person.
    Column("key_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("key", LargeBinary, nullable=False),
    _created_at(),
    Index("ix_subject_keys_account_id", "account_id"),
)
