"""Reads and writes of the joint meetings, their agendas and decision log, fn(*, session, ...).

Writes run inside `Database.write()` (one transaction). Recording a decision, which also sets
the towns' marks, is a use case of its own: `fitgap.services.meetings`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from fitgap.domain.i18n import _
from fitgap.domain.meetings import minutes as log
from fitgap.domain.values import Outcome
from fitgap.store import catalog as catalog_queries
from fitgap.store.models import (
    ActionItem,
    AgendaItem,
    Area,
    CatalogFunction,
    Decision,
    DecisionTown,
    Meeting,
    MeetingAttendee,
    utcnow,
)

_item = AgendaItem.__table__  # type: ignore[attr-defined]
_decision = Decision.__table__  # type: ignore[attr-defined]
_decision_town = DecisionTown.__table__  # type: ignore[attr-defined]
_action = ActionItem.__table__  # type: ignore[attr-defined]
_attendee = MeetingAttendee.__table__  # type: ignore[attr-defined]
_meeting = Meeting.__table__  # type: ignore[attr-defined]
_function = CatalogFunction.__table__  # type: ignore[attr-defined]


class MeetingError(ValueError):
    """A meeting change that cannot be made; carries the reasons in the user's language."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class DecisionConflict(MeetingError):
    """Another decision on the function was recorded since the moderator loaded the page."""

    def __init__(self, current: Decision | None) -> None:
        self.current = current
        super().__init__(
            [
                _(
                    "この機能には、画面を開いた後に別の決定が記録されました。"
                    "画面を読み込み直して確認してください。"
                )
            ]
        )


@dataclass(frozen=True, slots=True)
class AttendeeInput:
    """An attendee as typed into the meeting form."""

    name: str
    role: str = ""
    town_id: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingInput:
    """A meeting's details as typed into the meeting form."""

    area_id: str
    held_on: date
    moderator: str
    title: str = ""
    place: str = ""
    attendees: tuple[AttendeeInput, ...] = ()


# --- the agenda proposal ---------------------------------------------------------------------


def decided_functions(*, session: Session, area_id: str) -> set[str]:
    """Functions of the area with a current decision other than "postponed"."""
    statement = (
        select(_decision.c.function_id)
        .join(_function, _function.c.id == _decision.c.function_id)
        .where(
            _function.c.area_id == area_id,
            _decision.c.outcome != Outcome.POSTPONED.value,
            _not_superseded(),
        )
    )
    return set(session.scalars(statement))


# --- meetings --------------------------------------------------------------------------------


TEXT_LIMIT = 200  # characters of a meeting's title, place, moderator, attendee name and role


def _too_long(label: str) -> str:
    return _("%(field)sは%(limit)s文字以内で入力してください。", field=label, limit=TEXT_LIMIT)


def check_meeting(session: Session, data: MeetingInput) -> None:
    problems: list[str] = []
    area = session.get(Area, data.area_id)
    if area is None or area.archived_at is not None:
        problems.append(_("業務 %(area)s はカタログにありません。", area=data.area_id))
    if not data.moderator.strip():
        problems.append(_("進行役の名前を入力してください。"))
    labels = {"title": _("会議名"), "place": _("場所"), "moderator": _("進行役")}
    for field_name, label in labels.items():
        if len(getattr(data, field_name).strip()) > TEXT_LIMIT:
            problems.append(_too_long(label))
    for attendee in data.attendees:
        if len(attendee.name.strip()) > TEXT_LIMIT or len(attendee.role.strip()) > TEXT_LIMIT:
            problems.append(_too_long(_("出席者の名前・役職")))
            break
    towns = catalog_queries.active_town_ids(session=session)
    for attendee in data.attendees:
        if attendee.town_id is not None and attendee.town_id not in towns:
            problems.append(_("参加していない団体です：%(towns)s", towns=attendee.town_id))
    if problems:
        raise MeetingError(problems)


def _write_attendees(session: Session, meeting_id: int, attendees: Sequence[AttendeeInput]) -> None:
    for position, attendee in enumerate(a for a in attendees if a.name.strip()):
        session.add(
            MeetingAttendee(
                meeting_id=meeting_id,
                town_id=attendee.town_id,
                name=attendee.name.strip(),
                role=attendee.role.strip(),
                position=position,
            )
        )


def create_meeting(*, session: Session, data: MeetingInput, agenda: Sequence[str]) -> Meeting:
    """A new meeting with `agenda` (function ids, in order) as its agenda."""
    check_meeting(session, data)
    meeting = Meeting(
        area_id=data.area_id,
        title=data.title.strip(),
        held_on=data.held_on,
        place=data.place.strip(),
        moderator=data.moderator.strip(),
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None  # noqa: S101 - flushed just above
    _write_attendees(session, meeting.id, data.attendees)
    for position, function_id in enumerate(agenda):
        session.add(AgendaItem(meeting_id=meeting.id, function_id=function_id, position=position))
    session.flush()
    return meeting


def update_meeting(*, session: Session, meeting_id: int, data: MeetingInput) -> Meeting:
    """Change a meeting's details and attendees (its area and agenda stay)."""
    meeting = lock_meeting(session, meeting_id)
    check_meeting(session, replace(data, area_id=meeting.area_id))
    meeting.title = data.title.strip()
    meeting.held_on = data.held_on
    meeting.place = data.place.strip()
    meeting.moderator = data.moderator.strip()
    session.execute(_attendee.delete().where(_attendee.c.meeting_id == meeting_id))
    _write_attendees(session, meeting_id, data.attendees)
    bump_state(meeting)
    session.flush()
    return meeting


def list_meetings(*, session: Session) -> list[Meeting]:
    """Every meeting, the newest first."""
    statement = select(Meeting).order_by(_meeting.c.held_on.desc(), _meeting.c.id.desc())
    return list(session.scalars(statement))


def get_meeting(*, session: Session, meeting_id: int) -> Meeting | None:
    """One meeting."""
    return session.get(Meeting, meeting_id)


def state_version(*, session: Session, meeting_id: int) -> int | None:
    """The meeting's live-state version (cheap: what browsers poll), None if there is none."""
    statement = select(_meeting.c.state_version).where(_meeting.c.id == meeting_id)
    value = session.execute(statement).scalar_one_or_none()
    return None if value is None else int(value)


def attendees(*, session: Session, meeting_id: int) -> list[MeetingAttendee]:
    """The meeting's attendees in the order typed."""
    statement = (
        select(MeetingAttendee)
        .where(_attendee.c.meeting_id == meeting_id)
        .order_by(_attendee.c.position, _attendee.c.id)
    )
    return list(session.scalars(statement))


def decision_counts(*, session: Session) -> dict[int, int]:
    """How many decisions each meeting recorded."""
    statement = select(_decision.c.meeting_id, func.count()).group_by(_decision.c.meeting_id)
    return {int(m): int(n) for m, n in session.execute(statement)}


def lock_meeting(session: Session, meeting_id: int) -> Meeting:
    # FOR UPDATE serializes changes of one meeting on PostgreSQL; SQLite's BEGIN IMMEDIATE
    # already does (the clause is left out there).
    meeting = session.scalars(
        select(Meeting).where(_meeting.c.id == meeting_id).with_for_update()
    ).first()
    if meeting is None:
        raise LookupError(meeting_id)
    return meeting


def bump_state(meeting: Meeting) -> None:
    """Tell every following browser that something changed."""
    meeting.state_version += 1


# --- the agenda ------------------------------------------------------------------------------


def agenda(*, session: Session, meeting_id: int) -> list[AgendaItem]:
    """The meeting's agenda in the moderator's order."""
    statement = (
        select(AgendaItem)
        .where(_item.c.meeting_id == meeting_id)
        .order_by(_item.c.position, _item.c.id)
    )
    return list(session.scalars(statement))


def item_of(session: Session, meeting_id: int, item_id: int) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        raise LookupError(item_id)
    return item


def move_item(*, session: Session, meeting_id: int, item_id: int, offset: int) -> None:
    """Move an item up (offset −1) or down (+1) the agenda."""
    _move(session, meeting_id, item_id, lambda index: index + offset)


def move_item_to_top(*, session: Session, meeting_id: int, item_id: int) -> None:
    """Move an item to the head of the agenda, the others keeping their order."""
    _move(session, meeting_id, item_id, lambda _index: 0)


def _move(session: Session, meeting_id: int, item_id: int, to: Callable[[int], int]) -> None:
    meeting = lock_meeting(session, meeting_id)
    items = agenda(session=session, meeting_id=meeting_id)
    index = next((k for k, item in enumerate(items) if item.id == item_id), None)
    if index is None:
        raise LookupError(item_id)
    target = to(index)
    if 0 <= target < len(items) and target != index:
        items.insert(target, items.pop(index))
        # Renumber all: positions stay 0..n-1 whatever earlier adds and drops left behind.
        for position, item in enumerate(items):
            item.position = position
        bump_state(meeting)
    session.flush()


def add_item(*, session: Session, meeting_id: int, function_id: str) -> AgendaItem:
    """Add one of the area's functions at the end of the agenda."""
    meeting = lock_meeting(session, meeting_id)
    function = session.get(CatalogFunction, function_id.strip())
    if function is None or function.area_id != meeting.area_id or function.archived_at:
        raise MeetingError([_("機能ID %(id)s はこの業務にありません。", id=function_id)])
    items = agenda(session=session, meeting_id=meeting_id)
    if any(item.function_id == function.id for item in items):
        raise MeetingError([_("機能ID %(id)s はすでに議題にあります。", id=function.id)])
    item = AgendaItem(
        meeting_id=meeting_id,
        function_id=function.id,
        position=max((i.position for i in items), default=-1) + 1,
    )
    session.add(item)
    bump_state(meeting)
    session.flush()
    return item


def drop_item(*, session: Session, meeting_id: int, item_id: int) -> None:
    """Take an item off the agenda; one with a decision stays (the log keeps it)."""
    meeting = lock_meeting(session, meeting_id)
    item = item_of(session, meeting_id, item_id)
    has_decision = session.execute(
        select(_decision.c.id).where(_decision.c.agenda_item_id == item_id).limit(1)
    ).first()
    if has_decision is not None:
        raise MeetingError([_("決定が記録された議題は外せません。")])
    if meeting.current_item_id == item_id:
        meeting.current_item_id = None
        meeting.current_since = None
    session.delete(item)
    bump_state(meeting)
    session.flush()


def set_later(*, session: Session, meeting_id: int, item_id: int, later: bool) -> None:
    """Mark an item to be discussed in a later meeting, or take the mark off."""
    meeting = lock_meeting(session, meeting_id)
    item = item_of(session, meeting_id, item_id)
    if item.later != later:
        item.later = later
        bump_state(meeting)
    session.flush()


def _elapsed(since: datetime | None, now: datetime) -> int:
    if since is None:
        return 0
    if since.tzinfo is None:  # SQLite returns naive datetimes; they are stored in UTC
        since = since.replace(tzinfo=now.tzinfo)
    return max(0, int((now - since).total_seconds()))


def set_current(*, session: Session, meeting_id: int, item_id: int | None) -> None:
    """Put an item on every screen (None: none); the time spent on the previous one is kept."""
    meeting = lock_meeting(session, meeting_id)
    if item_id is not None:
        item_of(session, meeting_id, item_id)
    if meeting.current_item_id == item_id:
        return
    now = utcnow()
    if meeting.current_item_id is not None:
        previous = session.get(AgendaItem, meeting.current_item_id)
        if previous is not None:
            previous.spent_seconds += _elapsed(meeting.current_since, now)
    meeting.current_item_id = item_id
    meeting.current_since = now if item_id is not None else None
    bump_state(meeting)
    session.flush()


def step(*, session: Session, meeting_id: int, forward: bool = True) -> int | None:
    """Go to the next (or previous) item not left for a later meeting; returns its id."""
    meeting = lock_meeting(session, meeting_id)
    items = [i for i in agenda(session=session, meeting_id=meeting_id)]
    ids = [i.id for i in items]
    candidates = [i.id for i in items if not i.later or i.id == meeting.current_item_id]
    if meeting.current_item_id in ids:
        index = candidates.index(meeting.current_item_id)
        target_index = index + (1 if forward else -1)
        if not 0 <= target_index < len(candidates):
            return meeting.current_item_id
        target = candidates[target_index]
    else:
        pool = [c for c in candidates if c is not None]
        if not pool:
            return None
        target = pool[0] if forward else pool[-1]
    set_current(session=session, meeting_id=meeting_id, item_id=target)
    return target


def elapsed_seconds(meeting: Meeting, item: AgendaItem, now: datetime | None = None) -> int:
    """Time spent on an item so far, the current stretch included."""
    spent = item.spent_seconds
    if meeting.current_item_id == item.id:
        spent += _elapsed(meeting.current_since, now or utcnow())
    return spent


# --- decisions -------------------------------------------------------------------------------


def _not_superseded() -> Any:
    superseded = select(_decision.c.supersedes_id).where(_decision.c.supersedes_id.is_not(None))
    return _decision.c.id.not_in(superseded)


def current_decision(*, session: Session, function_id: str) -> Decision | None:
    """The decision on a function that no later decision replaced."""
    statement = (
        select(Decision)
        .where(_decision.c.function_id == function_id, _not_superseded())
        .order_by(_decision.c.id.desc())
    )
    return session.scalars(statement).first()


def superseded_by(*, session: Session, decision_ids: Collection[int]) -> dict[int, int]:
    """For each given decision that was replaced, the id of the decision replacing it."""
    if not decision_ids:
        return {}
    statement = select(_decision.c.supersedes_id, _decision.c.id).where(
        _decision.c.supersedes_id.in_(list(decision_ids))
    )
    return {int(old): int(new) for old, new in session.execute(statement)}


def decision_refs(*, session: Session, decision_ids: Collection[int]) -> dict[int, log.DecisionRef]:
    """Each decision as people name it: its number within its meeting (1, 2, ... in the order
    recorded) and the meeting's day."""
    ids = list(decision_ids)
    if not ids:
        return {}
    meetings_of = select(_decision.c.meeting_id).where(_decision.c.id.in_(ids))
    numbered = (
        select(
            _decision.c.id,
            _decision.c.meeting_id,
            func.row_number()
            .over(partition_by=_decision.c.meeting_id, order_by=_decision.c.id)
            .label("number"),
        )
        .where(_decision.c.meeting_id.in_(meetings_of))
        .subquery()
    )
    statement = (
        select(numbered.c.id, numbered.c.meeting_id, numbered.c.number, _meeting.c.held_on)
        .join(_meeting, _meeting.c.id == numbered.c.meeting_id)
        .where(numbered.c.id.in_(ids))
    )
    return {
        int(row.id): log.DecisionRef(int(row.meeting_id), row.held_on, int(row.number))
        for row in session.execute(statement)
    }


def meeting_decisions(*, session: Session, meeting_id: int) -> list[Decision]:
    """The decisions recorded in a meeting, oldest first."""
    statement = (
        select(Decision).where(_decision.c.meeting_id == meeting_id).order_by(_decision.c.id)
    )
    return list(session.scalars(statement))


def decision_towns(
    *, session: Session, decision_ids: Collection[int]
) -> dict[int, list[DecisionTown]]:
    """Each decision's per-town records."""
    if not decision_ids:
        return {}
    statement = (
        select(DecisionTown)
        .where(_decision_town.c.decision_id.in_(list(decision_ids)))
        .order_by(_decision_town.c.id)
    )
    result: dict[int, list[DecisionTown]] = {}
    for row in session.scalars(statement):
        result.setdefault(row.decision_id, []).append(row)
    return result


def action_items(*, session: Session, decision_ids: Collection[int]) -> dict[int, list[ActionItem]]:
    """Each decision's action items."""
    if not decision_ids:
        return {}
    statement = (
        select(ActionItem)
        .where(_action.c.decision_id.in_(list(decision_ids)))
        .order_by(_action.c.position, _action.c.id)
    )
    result: dict[int, list[ActionItem]] = {}
    for row in session.scalars(statement):
        result.setdefault(row.decision_id, []).append(row)
    return result


def export_basename(meeting: Meeting) -> str:
    """decisions-<area>-<date>, the file name of a meeting's log without extension."""
    return f"decisions-{meeting.area_id}-{meeting.held_on.isoformat()}"
