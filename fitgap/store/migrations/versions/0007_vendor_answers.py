"""The vendor: an account role, and the insert-only log of the vendor's answers.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_ROLES_BEFORE = "'staff', 'moderator', 'observer', 'admin'"
_ROLES_AFTER = "'staff', 'moderator', 'observer', 'admin', 'vendor'"


def upgrade() -> None:
    op.create_table(
        "vendor_answer",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "function_id", sa.String(32), sa.ForeignKey("catalog_function.id"), nullable=False
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("cost_initial_yen", sa.BigInteger(), nullable=True),
        sa.Column("cost_annual_yen", sa.BigInteger(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("answered_by", sa.String(200), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), sa.ForeignKey("vendor_answer.id"), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        # An answer is superseded at most once: the answers on a function stay a line.
        sa.UniqueConstraint("supersedes_id", name="uq_vendor_answer_supersedes"),
    )
    op.create_index("ix_vendor_answer_function_id", "vendor_answer", ["function_id"])
    _forbid_changes()
    _allow_roles(_ROLES_BEFORE, _ROLES_AFTER)


def _forbid_changes() -> None:
    """The answers are evidence for the towns: the database refuses UPDATE and DELETE."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER vendor_answer_no_{action.lower()} BEFORE {action} "
                "ON vendor_answer BEGIN SELECT RAISE(ABORT, 'vendor_answer is insert-only'); END"
            )
    else:
        # fitgap_append_only() comes from 0001.
        op.execute(
            "CREATE TRIGGER vendor_answer_insert_only BEFORE UPDATE OR DELETE ON vendor_answer "
            "FOR EACH ROW EXECUTE FUNCTION fitgap_append_only()"
        )


def _allow_roles(before: str, after: str) -> None:
    """Change the account table's role check from `before` to `after`.

    SQLite cannot alter a CHECK constraint, and rebuilding the table is no option inside the
    migration's transaction: with foreign keys on, dropping `account` would delete it under
    `account_area`, and renaming it rewrites `account_area`'s references. A check that allows
    more values needs no change to the stored rows, so the table's definition is edited in
    place, the "simpler procedure" of https://sqlite.org/lang_altertable.html (section 7); the
    downgrade runs it the other way only when no account has the vendor role.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_role")
        op.execute(f"ALTER TABLE account ADD CONSTRAINT ck_account_role CHECK (role IN ({after}))")
        return
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'account'"
    ).scalar_one()
    changed = str(sql).replace(f"role IN ({before})", f"role IN ({after})")
    if changed == sql:
        raise RuntimeError("account: the role check to change was not found")
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'account'", (changed,)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = bind.exec_driver_sql("PRAGMA integrity_check").scalar_one()
    if problems != "ok":
        raise RuntimeError(f"account: integrity check after the role change: {problems}")


def downgrade() -> None:
    vendors = (
        op.get_bind()
        .exec_driver_sql("SELECT COUNT(*) FROM account WHERE role = 'vendor'")
        .scalar_one()
    )
    if vendors:
        raise RuntimeError(f"{vendors} vendor account(s): change their role before downgrading")
    _allow_roles(_ROLES_AFTER, _ROLES_BEFORE)
    if op.get_bind().dialect.name == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS vendor_answer_no_{action}")
    else:
        op.execute("DROP TRIGGER IF EXISTS vendor_answer_insert_only ON vendor_answer")
    op.drop_table("vendor_answer")
