"""Database tables (SQLModel). Only Alembic migrations create and change the schema."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# The role values are the domain's (labels name them there); web and CLI import Role from here.
from fitgap.domain.values import Role as Role


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (stored as UTC everywhere)."""
    return datetime.now(UTC)


def _timestamp(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class AreaBase(SQLModel):
    """A business area (業務) of the catalog."""

    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    spec_title: str | None = Field(default=None, max_length=300)
    spec_version: str | None = Field(default=None, max_length=100)
    position: int = 0


class Area(AreaBase, table=True):
    """A business area as stored; archived when its file disappears (its marks stay)."""

    id: str = Field(primary_key=True, max_length=64)
    archived_at: datetime | None = _timestamp(nullable=True)


class CatalogFunctionBase(SQLModel):
    """One function requirement."""

    area_id: str = Field(foreign_key="area.id", index=True, max_length=64)
    position: int = 0
    name: str = Field(sa_type=Text, nullable=False)
    requirement: str = Field(max_length=16)
    text: str = Field(sa_type=Text, nullable=False)
    note: str | None = Field(default=None, sa_type=Text, nullable=True)
    path: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    forms: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    fingerprint: str = Field(max_length=64)


class CatalogFunction(CatalogFunctionBase, table=True):
    """A function as stored; archived (never deleted) when it leaves the catalog."""

    __tablename__ = "catalog_function"
    id: str = Field(primary_key=True, max_length=32)
    archived_at: datetime | None = _timestamp(nullable=True)


class TownBase(SQLModel):
    """A town of the joint project."""

    name: str = Field(max_length=200)
    prefecture: str | None = Field(default=None, max_length=50)
    population: int | None = None
    households: int | None = None
    budget_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    area_km2: float | None = None
    position: int = 0
    code: str | None = Field(default=None, max_length=6)  # 団体コード
    current_annual_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    migration_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    # Only members form the group (scores, meetings, the grid); candidates and towns that left
    # appear on the group page only.
    membership: str = Field(default="member", max_length=16)
    left_since: date | None = Field(default=None, sa_type=Date, nullable=True)
    left_reason: str | None = Field(default=None, sa_type=Text, nullable=True)


class Town(TownBase, table=True):
    """A town as stored; archived when its file disappears (its marks stay)."""

    id: str = Field(primary_key=True, max_length=64)
    archived_at: datetime | None = _timestamp(nullable=True)


class MarkBase(SQLModel):
    """A town's verdict on one function, with its reason and estimated cost."""

    town_id: str = Field(foreign_key="town.id", max_length=64)
    function_id: str = Field(foreign_key="catalog_function.id", index=True, max_length=32)
    status: str = Field(max_length=20)
    note: str | None = Field(default=None, sa_type=Text, nullable=True)
    cost_initial_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    cost_annual_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    # 優先度 (required | wanted | not_needed) and 現行運用: how much the town needs the function
    # and how it works today; both optional.
    priority: str | None = Field(default=None, max_length=16, nullable=True)
    as_is: str | None = Field(default=None, sa_type=Text, nullable=True)


class Mark(MarkBase, table=True):
    """The current mark; `version` grows by one on every change (optimistic locking)."""

    __table_args__ = (UniqueConstraint("town_id", "function_id", name="uq_mark_town_function"),)
    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    # The function's fingerprint when this verdict was made: a later catalog edition that
    # rewords the function no longer matches, and the mark is flagged for review.
    fingerprint: str = Field(max_length=64)
    updated_by: str = Field(max_length=200)
    updated_at: datetime = _timestamp()


class MarkChange(MarkBase, table=True):
    """One entry of the append-only history of marks: the state after a change, who and why."""

    __tablename__ = "mark_change"
    __table_args__ = (Index("ix_mark_change_town_function", "town_id", "function_id"),)
    id: int | None = Field(default=None, primary_key=True)
    version: int
    fingerprint: str = Field(max_length=64)
    changed_by: str = Field(max_length=200)
    changed_at: datetime = _timestamp()
    source: str = Field(max_length=20)  # web | import | decision | ...
    reason: str | None = Field(default=None, sa_type=Text, nullable=True)


class AreaClock(SQLModel, table=True):
    """How many mark changes and catalog loads an area has had, each raised in the same
    transaction as the change.

    Readers that keep an area's scores compare these two numbers to know whether anything
    changed, whichever process wrote it (`fitgap.boards`); the row's lock, taken before a
    mark change's history row is written, keeps one area's history ids in commit order."""

    __tablename__ = "area_clock"
    area_id: str = Field(foreign_key="area.id", primary_key=True, max_length=64)
    changes: int = Field(default=0, sa_type=BigInteger, nullable=False)
    catalog: int = Field(default=0, sa_type=BigInteger, nullable=False)


# --- joint meetings and the decision log ------------------------------------------------------


class MeetingBase(SQLModel):
    """A joint requirements meeting of the towns' staff for one business area."""

    area_id: str = Field(foreign_key="area.id", index=True, max_length=64)
    title: str = Field(default="", max_length=200)
    held_on: date = Field(sa_type=Date, nullable=False)
    place: str = Field(default="", max_length=200)
    moderator: str = Field(max_length=200)


class Meeting(MeetingBase, table=True):
    """A meeting as stored, with the live state every participant's browser follows."""

    id: int | None = Field(default=None, primary_key=True)
    # The item on the projector. A plain id, not a foreign key: agenda_item already points
    # here, and a cycle of foreign keys would make inserts and SQLite batch migrations awkward.
    current_item_id: int | None = None
    current_since: datetime | None = _timestamp(nullable=True)
    # Bumped on every change of the meeting; browsers poll it to know when to refetch.
    state_version: int = 1
    created_at: datetime = _timestamp()


class MeetingAttendee(SQLModel, table=True):
    """Someone in the meeting: a name and a role as typed in, nothing more (no personal data)."""

    __tablename__ = "meeting_attendee"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    town_id: str | None = Field(default=None, foreign_key="town.id", max_length=64)
    name: str = Field(max_length=200)
    role: str = Field(default="", max_length=200)
    position: int = 0


class AgendaItem(SQLModel, table=True):
    """One function on a meeting's agenda, in the moderator's order."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "function_id", name="uq_agenda_item_meeting_function"),
    )
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    function_id: str = Field(foreign_key="catalog_function.id", max_length=32)
    position: int = 0
    later: bool = False  # to be discussed in a later meeting
    # Time spent on this item before it last became the current one (the timer adds the rest).
    spent_seconds: int = 0


class Decision(SQLModel, table=True):
    """What the meeting decided on one function. Insert-only: a change is a new decision that
    supersedes this one (the database refuses UPDATE and DELETE)."""

    __table_args__ = (UniqueConstraint("supersedes_id", name="uq_decision_supersedes"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    function_id: str = Field(foreign_key="catalog_function.id", index=True, max_length=32)
    outcome: str = Field(max_length=32)
    summary: str = Field(sa_type=Text, nullable=False)
    # Required for any outcome that keeps a customization: why it is truly unavoidable ...
    justification: str | None = Field(default=None, sa_type=Text, nullable=True)
    # ... and why a loosely coupled system or the package's EUC does not serve instead.
    alternative: str | None = Field(default=None, sa_type=Text, nullable=True)
    supersedes_id: int | None = Field(default=None, foreign_key="decision.id")
    decided_by: str = Field(max_length=200)
    decided_at: datetime = _timestamp()


class DecisionTown(SQLModel, table=True):
    """A town's mark as a decision set it, and which mark version it replaced (insert-only)."""

    __tablename__ = "decision_town"
    __table_args__ = (UniqueConstraint("decision_id", "town_id", name="uq_decision_town"),)
    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", index=True)
    town_id: str = Field(foreign_key="town.id", max_length=64)
    status: str = Field(max_length=20)
    note: str | None = Field(default=None, sa_type=Text, nullable=True)
    previous_status: str | None = Field(default=None, max_length=20)
    previous_version: int = 0  # 0: the town had no mark
    version: int = 0  # the mark's version written by the decision


class ActionItem(SQLModel, table=True):
    """Something to do after a decision: what, which town (none: the group), by when."""

    __tablename__ = "action_item"
    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", index=True)
    town_id: str | None = Field(default=None, foreign_key="town.id", max_length=64)
    what: str = Field(sa_type=Text, nullable=False)
    due_on: date | None = Field(default=None, sa_type=Date, nullable=True)
    position: int = 0


class ActionItemStatus(SQLModel, table=True):
    """An action item marked done, or reopened, with a note (insert-only: the item's state is
    its newest row; an item without one is open)."""

    __tablename__ = "action_item_status"
    id: int | None = Field(default=None, primary_key=True)
    action_item_id: int = Field(foreign_key="action_item.id", index=True)
    done: bool
    note: str | None = Field(default=None, sa_type=Text, nullable=True)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _timestamp()


# --- forming the group -----------------------------------------------------------------------


class GroupTerms(SQLModel, table=True):
    """The group file's terms as last loaded (one row; none when there is no group file)."""

    __tablename__ = "group_terms"
    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str = Field(max_length=200)
    years: int
    package_initial_yen: int = Field(sa_type=BigInteger, nullable=False)
    package_annual_yen: int = Field(sa_type=BigInteger, nullable=False)
    split_equal: int
    split_population: int


class GroupScenario(SQLModel, table=True):
    """A named choice of towns on the group page (e.g. the 11, the 7, the 4)."""

    __tablename__ = "group_scenario"
    __table_args__ = (UniqueConstraint("name", name="uq_group_scenario_name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    towns: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    years: int | None = None
    created_by: str = Field(max_length=200)
    created_at: datetime = _timestamp()


class VendorAnswer(SQLModel, table=True):
    """The vendor's answer to a customization request on one function. Insert-only: a newer
    answer supersedes this one (the database refuses UPDATE and DELETE)."""

    __tablename__ = "vendor_answer"
    __table_args__ = (UniqueConstraint("supersedes_id", name="uq_vendor_answer_supersedes"),)
    id: int | None = Field(default=None, primary_key=True)
    function_id: str = Field(foreign_key="catalog_function.id", index=True, max_length=32)
    kind: str = Field(max_length=20)  # fitgap.domain.values.AnswerKind
    detail: str = Field(sa_type=Text, nullable=False)
    text: str | None = Field(default=None, sa_type=Text, nullable=True)
    cost_initial_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    cost_annual_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    answered_on: date = Field(sa_type=Date, nullable=False)
    answered_by: str = Field(max_length=200)
    supersedes_id: int | None = Field(default=None, foreign_key="vendor_answer.id")
    source: str = Field(max_length=20)  # web | xlsx | demo
    created_at: datetime = _timestamp()


# --- accounts and the audit trail -------------------------------------------------------------


class Account(SQLModel, table=True):
    """Someone who may sign in. Accounts are never deleted, only disabled (the audit trail and
    the history name them)."""

    __table_args__ = (
        CheckConstraint(
            "role IN ('staff', 'moderator', 'observer', 'admin', 'vendor')", name="ck_account_role"
        ),
        CheckConstraint("role <> 'staff' OR town_id IS NOT NULL", name="ck_account_staff_town"),
        UniqueConstraint("login", name="uq_account_login"),
    )
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64)  # lower case, see account_queries.normalize_login
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    # Required for staff (their town), optional for an observer (whose management they are).
    town_id: str | None = Field(default=None, foreign_key="town.id", max_length=64)
    # Staff mark only the areas assigned to them (account_area), or every area with this flag.
    all_areas: bool = False
    password_hash: str = Field(max_length=255)
    password_changed_at: datetime = _timestamp()
    must_change_password: bool = True
    failed_attempts: int = 0  # failed sign-ins in a row
    locked_until: datetime | None = _timestamp(nullable=True)
    disabled_at: datetime | None = _timestamp(nullable=True)
    # Part of every session cookie: raising it (disable, password change or reset) ends every
    # session of the account at its next request.
    session_version: int = 1
    last_login_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()


class AccountArea(SQLModel, table=True):
    """A business area assigned to a town's staff account."""

    __tablename__ = "account_area"
    account_id: int = Field(foreign_key="account.id", primary_key=True)
    area_id: str = Field(foreign_key="area.id", primary_key=True, max_length=64)


class AuditRecord(SQLModel, table=True):
    """One record of the append-only audit trail; `hash` chains it to the record before
    (see fitgap.domain.audit). The database refuses UPDATE, and DELETE of anything newer than
    the prune anchor."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_at", "at"),
        Index("ix_audit_record_actor", "actor"),
        Index("ix_audit_record_action", "action"),
    )
    sequence: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = _timestamp()
    actor: str = Field(max_length=200)
    address: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64)
    target: str | None = Field(default=None, max_length=300)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditChain(SQLModel, table=True):
    """The chain's one row: its head (the newest record, locked by every writer so the chain
    never forks) and its anchor (the newest pruned record, where verification starts)."""

    __tablename__ = "audit_chain"
    id: int = Field(default=1, primary_key=True)
    head_sequence: int = 0
    head_hash: str = Field(max_length=64)
    anchor_sequence: int = 0
    anchor_hash: str = Field(max_length=64)
    anchor_at: datetime | None = _timestamp(nullable=True)
