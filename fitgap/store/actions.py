"""The action items (対応事項) with where they come from and their insert-only status log,
fn(*, session, ...). Marking one done is a use case: `fitgap.services.actions`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from fitgap.domain.meetings.actions import ActionEntry, ActionState
from fitgap.store import meetings as meeting_queries
from fitgap.store.models import (
    ActionItem,
    ActionItemStatus,
    Area,
    CatalogFunction,
    Decision,
    Meeting,
)

_action = ActionItem.__table__  # type: ignore[attr-defined]
_status = ActionItemStatus.__table__  # type: ignore[attr-defined]
_decision = Decision.__table__  # type: ignore[attr-defined]
_meeting = Meeting.__table__  # type: ignore[attr-defined]
_area = Area.__table__  # type: ignore[attr-defined]
_function = CatalogFunction.__table__  # type: ignore[attr-defined]


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they are stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def histories(*, session: Session, action_ids: Collection[int]) -> dict[int, list[ActionState]]:
    """Each item's statuses, oldest first (an item never marked done has none)."""
    if not action_ids:
        return {}
    statement = (
        select(_status).where(_status.c.action_item_id.in_(list(action_ids))).order_by(_status.c.id)
    )
    result: dict[int, list[ActionState]] = {}
    for row in session.execute(statement):
        result.setdefault(int(row.action_item_id), []).append(
            ActionState(
                done=bool(row.done),
                note=row.note,
                recorded_by=row.recorded_by,
                recorded_at=_utc(row.recorded_at),
            )
        )
    return result


def entries(
    *, session: Session, area_id: str | None = None, action_id: int | None = None
) -> list[ActionEntry]:
    """Every action item (of one area, or the one item) with its meeting, decision and history,
    in the order of the meetings and their decisions."""
    statement: Any = (
        select(
            _action.c.id,
            _action.c.what,
            _action.c.town_id,
            _action.c.due_on,
            _action.c.position,
            _action.c.decision_id,
            _decision.c.function_id,
            _meeting.c.id.label("meeting_id"),
            _meeting.c.held_on,
            _meeting.c.area_id,
            _meeting.c.title,
            _area.c.name.label("area_name"),
            _function.c.name.label("function_name"),
        )
        .join(_decision, _decision.c.id == _action.c.decision_id)
        .join(_meeting, _meeting.c.id == _decision.c.meeting_id)
        .join(_area, _area.c.id == _meeting.c.area_id)
        .join(_function, _function.c.id == _decision.c.function_id)
        .order_by(_meeting.c.held_on, _meeting.c.id, _decision.c.id, _action.c.position)
    )
    if area_id is not None:
        statement = statement.where(_meeting.c.area_id == area_id)
    if action_id is not None:
        statement = statement.where(_action.c.id == action_id)
    rows = list(session.execute(statement))
    refs = meeting_queries.decision_refs(
        session=session, decision_ids={int(r.decision_id) for r in rows}
    )
    history = histories(session=session, action_ids=[int(r.id) for r in rows])
    return [
        ActionEntry(
            id=int(row.id),
            what=row.what,
            town_id=row.town_id,
            due_on=row.due_on,
            position=int(row.position),
            meeting_id=int(row.meeting_id),
            held_on=row.held_on,
            area_id=row.area_id,
            area_name=row.area_name,
            meeting_title=row.title,
            decision_id=int(row.decision_id),
            decision_number=refs[int(row.decision_id)].number,
            function_id=row.function_id,
            function_name=row.function_name,
            history=tuple(history.get(int(row.id), ())),
        )
        for row in rows
    ]


def entry(*, session: Session, action_id: int) -> ActionEntry | None:
    """One action item with its meeting, decision and history."""
    found = entries(session=session, action_id=action_id)
    return found[0] if found else None


def lock_item(session: Session, action_id: int) -> ActionItem:
    """The item, locked until the transaction ends (FOR UPDATE on PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serializes writers): two reports on it go one after the other."""
    item = session.scalars(
        select(ActionItem).where(_action.c.id == action_id).with_for_update()
    ).first()
    if item is None:
        raise LookupError(action_id)
    return item


def add_status(
    *, session: Session, action_id: int, done: bool, note: str | None, recorded_by: str
) -> ActionItemStatus:
    """Append the item's new status (done or reopened)."""
    row = ActionItemStatus(action_item_id=action_id, done=done, note=note, recorded_by=recorded_by)
    session.add(row)
    session.flush()
    return row


def status_stamp(*, session: Session) -> int:
    """A number that grows with every status recorded (what the console's poll compares)."""
    return int(session.execute(select(func.coalesce(func.max(_status.c.id), 0))).scalar_one())
