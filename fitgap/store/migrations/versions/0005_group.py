"""Forming the group: the towns' group keys (団体コード, current system, membership), the group
file's terms and the saved scenarios of the group page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("town", sa.Column("code", sa.String(6), nullable=True))
    op.add_column("town", sa.Column("current_annual_yen", sa.BigInteger(), nullable=True))
    op.add_column("town", sa.Column("migration_yen", sa.BigInteger(), nullable=True))
    op.add_column(
        "town",
        sa.Column("membership", sa.String(16), nullable=False, server_default="member"),
    )
    op.add_column("town", sa.Column("left_since", sa.Date(), nullable=True))
    op.add_column("town", sa.Column("left_reason", sa.Text(), nullable=True))
    op.create_table(
        "group_terms",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("package_initial_yen", sa.BigInteger(), nullable=False),
        sa.Column("package_annual_yen", sa.BigInteger(), nullable=False),
        sa.Column("split_equal", sa.Integer(), nullable=False),
        sa.Column("split_population", sa.Integer(), nullable=False),
    )
    op.create_table(
        "group_scenario",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("towns", sa.JSON(), nullable=False),
        sa.Column("years", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_group_scenario_name"),
    )


def downgrade() -> None:
    op.drop_table("group_scenario")
    op.drop_table("group_terms")
    # ALTER TABLE ... DROP COLUMN directly (SQLite 3.35+): a batch copy of `town` would drop
    # the table that marks, accounts and meetings point to.
    for column in (
        "left_reason",
        "left_since",
        "membership",
        "migration_yen",
        "current_annual_yen",
        "code",
    ):
        op.execute(f"ALTER TABLE town DROP COLUMN {column}")
