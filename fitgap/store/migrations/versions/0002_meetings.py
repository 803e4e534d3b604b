"""Joint meetings: attendees, agenda, live state, and the insert-only decision log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
# The decision log is evidence for the towns' management and the vendor: never edited.
INSERT_ONLY = ("decision", "decision_town", "action_item")


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("area_id", sa.String(64), sa.ForeignKey("area.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("moderator", sa.String(200), nullable=False),
        sa.Column("current_item_id", sa.Integer(), nullable=True),
        sa.Column("current_since", _TZ, nullable=True),
        sa.Column("state_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("ix_meeting_area_id", "meeting", ["area_id"])
    op.create_table(
        "meeting_attendee",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meeting.id"), nullable=False),
        sa.Column("town_id", sa.String(64), sa.ForeignKey("town.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_meeting_attendee_meeting_id", "meeting_attendee", ["meeting_id"])
    op.create_table(
        "agenda_item",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meeting.id"), nullable=False),
        sa.Column(
            "function_id", sa.String(32), sa.ForeignKey("catalog_function.id"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("later", sa.Boolean(), nullable=False),
        sa.Column("spent_seconds", sa.Integer(), nullable=False),
        sa.UniqueConstraint("meeting_id", "function_id", name="uq_agenda_item_meeting_function"),
    )
    op.create_index("ix_agenda_item_meeting_id", "agenda_item", ["meeting_id"])
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meeting.id"), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), sa.ForeignKey("agenda_item.id"), nullable=True),
        sa.Column(
            "function_id", sa.String(32), sa.ForeignKey("catalog_function.id"), nullable=False
        ),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("alternative", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), sa.ForeignKey("decision.id"), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", _TZ, nullable=False),
        # One decision is superseded at most once, so the chain of a function stays a line
        # even when two moderators record at the same moment.
        sa.UniqueConstraint("supersedes_id", name="uq_decision_supersedes"),
    )
    op.create_index("ix_decision_meeting_id", "decision", ["meeting_id"])
    op.create_index("ix_decision_function_id", "decision", ["function_id"])
    op.create_table(
        "decision_town",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decision.id"), nullable=False),
        sa.Column("town_id", sa.String(64), sa.ForeignKey("town.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("previous_status", sa.String(20), nullable=True),
        sa.Column("previous_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("decision_id", "town_id", name="uq_decision_town"),
    )
    op.create_index("ix_decision_town_decision_id", "decision_town", ["decision_id"])
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decision.id"), nullable=False),
        sa.Column("town_id", sa.String(64), sa.ForeignKey("town.id"), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_action_item_decision_id", "action_item", ["decision_id"])
    _forbid_changes()


def _forbid_changes() -> None:
    """The decision log is insert-only: the database refuses UPDATE and DELETE on it."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in INSERT_ONLY:
        if sqlite:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is insert-only'); END"
                )
        else:
            # fitgap_append_only() comes from 0001.
            op.execute(
                f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION fitgap_append_only()"
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in INSERT_ONLY:
        if sqlite:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}")
    for table in (
        "action_item",
        "decision_town",
        "decision",
        "agenda_item",
        "meeting_attendee",
        "meeting",
    ):
        op.drop_table(table)
