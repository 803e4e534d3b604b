"""Following up action items: the insert-only log of their completion (done, reopened).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_TABLE = "action_item_status"


def upgrade() -> None:
    # action_item stays insert-only (0002): an item's state is its newest row here, none: open.
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("action_item_id", sa.Integer(), sa.ForeignKey("action_item.id"), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", _TZ, nullable=False),
    )
    op.create_index("ix_action_item_status_action_item_id", _TABLE, ["action_item_id"])
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {_TABLE}_no_{action.lower()} BEFORE {action} ON {_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{_TABLE} is insert-only'); END"
            )
    else:
        # fitgap_append_only() comes from 0001.
        op.execute(
            f"CREATE TRIGGER {_TABLE}_insert_only BEFORE UPDATE OR DELETE ON {_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION fitgap_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_{action}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_insert_only ON {_TABLE}")
    op.drop_index("ix_action_item_status_action_item_id", table_name=_TABLE)
    op.drop_table(_TABLE)
