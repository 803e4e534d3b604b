"""The data core: areas, functions, towns, marks and their append-only history.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _mark_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("town_id", sa.String(64), sa.ForeignKey("town.id"), nullable=False),
        sa.Column(
            "function_id", sa.String(32), sa.ForeignKey("catalog_function.id"), nullable=False
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("cost_initial_yen", sa.BigInteger(), nullable=True),
        sa.Column("cost_annual_yen", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=True),
        sa.Column("spec_title", sa.String(300), nullable=True),
        sa.Column("spec_version", sa.String(100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", _TZ, nullable=True),
    )
    op.create_table(
        "town",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefecture", sa.String(50), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("budget_yen", sa.BigInteger(), nullable=True),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", _TZ, nullable=True),
    )
    op.create_table(
        "catalog_function",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("area_id", sa.String(64), sa.ForeignKey("area.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("requirement", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("archived_at", _TZ, nullable=True),
    )
    op.create_index("ix_catalog_function_area_id", "catalog_function", ["area_id"])
    op.create_table(
        "mark",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        *_mark_columns(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.UniqueConstraint("town_id", "function_id", name="uq_mark_town_function"),
    )
    op.create_index("ix_mark_function_id", "mark", ["function_id"])
    op.create_table(
        "mark_change",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        *_mark_columns(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", _TZ, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_mark_change_town_function", "mark_change", ["town_id", "function_id"])
    op.create_index("ix_mark_change_function_id", "mark_change", ["function_id"])
    _forbid_history_changes()


def _forbid_history_changes() -> None:
    """The history is append-only: the database itself refuses UPDATE and DELETE on it."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER mark_change_no_{action.lower()} BEFORE {action} ON mark_change "
                "BEGIN SELECT RAISE(ABORT, 'mark_change is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION fitgap_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        op.execute(
            "CREATE TRIGGER mark_change_append_only BEFORE UPDATE OR DELETE ON mark_change "
            "FOR EACH ROW EXECUTE FUNCTION fitgap_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS mark_change_append_only ON mark_change")
        op.execute("DROP FUNCTION IF EXISTS fitgap_append_only()")
    op.drop_table("mark_change")
    op.drop_table("mark")
    op.drop_table("catalog_function")
    op.drop_table("town")
    op.drop_table("area")
