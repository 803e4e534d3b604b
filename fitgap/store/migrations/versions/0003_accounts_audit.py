"""Accounts, their assigned areas, and the hash-chained, append-only audit trail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("town_id", sa.String(64), sa.ForeignKey("town.id"), nullable=True),
        sa.Column("all_areas", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("password_changed_at", _TZ, nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", _TZ, nullable=True),
        sa.Column("disabled_at", _TZ, nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("last_login_at", _TZ, nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.CheckConstraint(
            "role IN ('staff', 'moderator', 'observer', 'admin')", name="ck_account_role"
        ),
        sa.CheckConstraint("role <> 'staff' OR town_id IS NOT NULL", name="ck_account_staff_town"),
        sa.UniqueConstraint("login", name="uq_account_login"),
    )
    op.create_table(
        "account_area",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id"), primary_key=True),
        sa.Column("area_id", sa.String(64), sa.ForeignKey("area.id"), primary_key=True),
    )
    op.create_table(
        "audit_record",
        sa.Column("sequence", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(300), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_record_at", "audit_record", ["at"])
    op.create_index("ix_audit_record_actor", "audit_record", ["actor"])
    op.create_index("ix_audit_record_action", "audit_record", ["action"])
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("head_sequence", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("anchor_sequence", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.Column("anchor_at", _TZ, nullable=True),
    )
    op.bulk_insert(
        chain,
        [
            {
                "id": 1,
                "head_sequence": 0,
                "head_hash": GENESIS,
                "anchor_sequence": 0,
                "anchor_hash": GENESIS,
                "anchor_at": None,
            }
        ],
    )
    if op.get_bind().dialect.name == "sqlite":
        _guard_sqlite()
    else:
        _guard_postgresql()


def _guard_sqlite() -> None:
    """The trail is append-only; only records up to the prune anchor may be deleted, and the
    anchor and head only move forward (`fitgap audit prune` moves the anchor first)."""
    op.execute(
        "CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record "
        "BEGIN SELECT RAISE(ABORT, 'audit_record is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record "
        "WHEN OLD.sequence > (SELECT anchor_sequence FROM audit_chain WHERE id = 1) "
        "BEGIN SELECT RAISE(ABORT, 'audit_record is append-only; prune moves the anchor'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE ON audit_chain "
        "WHEN NEW.id <> OLD.id OR NEW.head_sequence < OLD.head_sequence "
        "OR NEW.anchor_sequence < OLD.anchor_sequence "
        "OR NEW.anchor_sequence > NEW.head_sequence "
        "BEGIN SELECT RAISE(ABORT, 'audit_chain only moves forward'); END"
    )
    for action in ("INSERT", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_chain_no_{action.lower()} BEFORE {action} ON audit_chain "
            "BEGIN SELECT RAISE(ABORT, 'audit_chain has exactly one row'); END"
        )


def _guard_postgresql() -> None:
    op.execute(
        "CREATE FUNCTION fitgap_audit_record_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP = 'DELETE' AND OLD.sequence <= "
        "(SELECT anchor_sequence FROM audit_chain WHERE id = 1) THEN RETURN OLD; END IF; "
        "RAISE EXCEPTION 'audit_record is append-only; prune moves the anchor'; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record "
        "FOR EACH ROW EXECUTE FUNCTION fitgap_audit_record_guard()"
    )
    op.execute(
        "CREATE FUNCTION fitgap_audit_chain_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.head_sequence < OLD.head_sequence "
        "OR NEW.anchor_sequence < OLD.anchor_sequence "
        "OR NEW.anchor_sequence > NEW.head_sequence THEN "
        "RAISE EXCEPTION 'audit_chain only moves forward'; END IF; "
        "RETURN NEW; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_chain_forward_only BEFORE INSERT OR UPDATE OR DELETE "
        "ON audit_chain FOR EACH ROW EXECUTE FUNCTION fitgap_audit_chain_guard()"
    )
    # Row triggers do not see TRUNCATE; fitgap_append_only() comes from 0001.
    for table in ("audit_record", "audit_chain"):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION fitgap_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in (
            "audit_record_no_update",
            "audit_record_no_delete",
            "audit_chain_forward_only",
            "audit_chain_no_insert",
            "audit_chain_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        for table in ("audit_record", "audit_chain"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS audit_record_append_only ON audit_record")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_forward_only ON audit_chain")
        op.execute("DROP FUNCTION IF EXISTS fitgap_audit_record_guard()")
        op.execute("DROP FUNCTION IF EXISTS fitgap_audit_chain_guard()")
    op.drop_table("audit_chain")
    op.drop_index("ix_audit_record_action", "audit_record")
    op.drop_index("ix_audit_record_actor", "audit_record")
    op.drop_index("ix_audit_record_at", "audit_record")
    op.drop_table("audit_record")
    op.drop_table("account_area")
    op.drop_table("account")
