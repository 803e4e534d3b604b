"""Priority (優先度) and today's practice (現行運用) on every mark and every history row.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TABLES = ("mark", "mark_change")


def upgrade() -> None:
    # Both nullable: a mark made before this revision has neither, and both stay optional.
    for table in _TABLES:
        op.add_column(table, sa.Column("priority", sa.String(16), nullable=True))
        op.add_column(table, sa.Column("as_is", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("as_is")
            batch.drop_column("priority")
