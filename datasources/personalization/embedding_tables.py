"""The embedding tables, on the shared metadata: trained models and their vectors.

Every vector belongs to a model version, so `flix train` writes a whole new model beside
the one being served and then switches ``current_embedding_model`` (one row) in a single
statement: readers join through that row and see one complete model, old or new, never a
mix. Importing this module registers the tables on :data:`datasources.tables.metadata`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, REAL, UUID

from datasources.tables import metadata

embedding_models = Table(
    "embedding_models",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("dimensions", Integer, nullable=False),
    # The training settings, for the record (ALS parameters, signal weights).
    Column("params", JSONB, nullable=False, server_default="{}"),
    Column("profiles", Integer, nullable=False, server_default="0"),
    Column("titles", Integer, nullable=False, server_default="0"),
    Column("trained_at", DateTime(timezone=True), nullable=False),
    # Set when the model first becomes current; NULL while its vectors are being written.
    Column("activated_at", DateTime(timezone=True)),
)

current_embedding_model = Table(
    "current_embedding_model",
    metadata,
    # A one-row table: the primary key can only be true.
    Column("singleton", Boolean, primary_key=True, server_default=text("true")),
    # No ON DELETE: the model being served can never be deleted from under the readers.
    Column("version", String(64), ForeignKey("embedding_models.version"), nullable=False),
    Column("switched_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("singleton", name="singleton"),
)

profile_embeddings = Table(
    "profile_embeddings",
    metadata,
    Column(
        "model_version",
        String(64),
        ForeignKey("embedding_models.version", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "profile_id",
        UUID(as_uuid=True),
        ForeignKey("profiles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("vector", ARRAY(REAL), nullable=False),
    # Deleting a profile cascades here; without it each delete would scan every model.
    Index("ix_profile_embeddings_profile_id", "profile_id"),
)

title_embeddings = Table(
    "title_embeddings",
    metadata,
    Column(
        "model_version",
        String(64),
        ForeignKey("embedding_models.version", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("video_id", BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True),
    Column("vector", ARRAY(REAL), nullable=False),
    Index("ix_title_embeddings_video_id", "video_id"),
)
