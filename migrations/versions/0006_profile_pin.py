"""profile lock: the argon2 hash of a profile's 4-digit PIN (NULL: not locked)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("profiles", sa.Column("pin_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("profiles", "pin_hash")
