"""Area clocks: counters per area, raised with every mark change and every catalog load.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_clock",
        sa.Column("area_id", sa.String(64), sa.ForeignKey("area.id"), primary_key=True),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.Column("catalog", sa.BigInteger(), nullable=False),
    )
    # The history so far: one change per history row, counted for the function's area.
    op.execute(
        "INSERT INTO area_clock (area_id, changes, catalog) "
        "SELECT f.area_id, COUNT(*), 0 FROM mark_change h "
        "JOIN catalog_function f ON f.id = h.function_id GROUP BY f.area_id"
    )


def downgrade() -> None:
    op.drop_table("area_clock")
