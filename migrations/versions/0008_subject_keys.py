"""subject keys: the per-person keys that seal personal fields in the event log and archives

Erasing a person deletes their rows (crypto-shredding): what the append-only stores hold
under those keys can no longer be read.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_keys",
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("key_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_subject_keys_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_subject_keys_key_id")),
    )
    op.create_index("ix_subject_keys_account_id", "subject_keys", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_subject_keys_account_id", table_name="subject_keys")
    op.drop_table("subject_keys")
