"""The decision log's data (議事録), gathered for `fitgap.domain.meetings.minutes`: meetings,
agendas, decisions numbered within their meeting, the towns' current marks, the vendor's
answers, and the action items each meeting carried over from the area's earlier ones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from fitgap.domain.i18n import _
from fitgap.domain.meetings import actions as follow_up
from fitgap.domain.meetings import minutes as log
from fitgap.domain.values import Outcome, Status
from fitgap.domain.vendor import one_line
from fitgap.domain.wareki import JST, wareki
from fitgap.store import actions as action_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store import vendor as vendor_queries
from fitgap.store.meetings import (
    action_items,
    agenda,
    attendees,
    decision_refs,
    decision_towns,
    get_meeting,
    list_meetings,
    meeting_decisions,
    superseded_by,
)
from fitgap.store.models import Area, CatalogFunction, Decision, Meeting

_function = CatalogFunction.__table__  # type: ignore[attr-defined]


def carried_over(
    entries: list[follow_up.ActionEntry], meeting: Meeting
) -> tuple[log.MinutesCarried, ...]:
    """The action items the meeting carried over, each as it stood at the end of its day."""
    assert meeting.id is not None  # noqa: S101 - a stored meeting
    _start, end = follow_up.day_bounds(meeting.held_on)
    ref = follow_up.MeetingRef(meeting.id, meeting.area_id, meeting.held_on)
    return tuple(
        log.MinutesCarried(
            action=log.MinutesAction(what=e.what, town_id=e.town_id, due_on=e.due_on),
            origin=log.DecisionRef(e.meeting_id, e.held_on, e.decision_number),
            function_id=e.function_id,
            function_name=e.function_name,
            done=e.done,
            note=e.state.note if e.state is not None else None,
        )
        for e in follow_up.carried_over(entries, ref, until=end)
    )


def _minutes_meeting(
    session: Session,
    meeting: Meeting,
    area_names: dict[str, str],
    function_names: dict[str, str],
    replaced: dict[int, int],
    refs: dict[int, log.DecisionRef],
    decisions: list[Decision],
    carried: tuple[log.MinutesCarried, ...],
) -> log.MinutesMeeting:
    assert meeting.id is not None  # noqa: S101 - a stored meeting
    ids = [d.id for d in decisions if d.id is not None]
    towns_of = decision_towns(session=session, decision_ids=ids)
    actions_of = action_items(session=session, decision_ids=ids)
    return log.MinutesMeeting(
        id=meeting.id,
        area_id=meeting.area_id,
        area_name=area_names.get(meeting.area_id, meeting.area_id),
        held_on=meeting.held_on,
        moderator=meeting.moderator,
        title=meeting.title,
        place=meeting.place,
        attendees=tuple(
            log.MinutesAttendee(town_id=a.town_id, name=a.name, role=a.role)
            for a in attendees(session=session, meeting_id=meeting.id)
        ),
        agenda=tuple(
            log.MinutesItem(
                function_id=i.function_id,
                function_name=function_names.get(i.function_id, ""),
                later=i.later,
            )
            for i in agenda(session=session, meeting_id=meeting.id)
        ),
        decisions=tuple(
            log.MinutesDecision(
                id=d.id,
                meeting_id=meeting.id,
                function_id=d.function_id,
                function_name=function_names.get(d.function_id, ""),
                outcome=Outcome(d.outcome),
                summary=d.summary,
                decided_by=d.decided_by,
                decided_at=d.decided_at,
                justification=d.justification,
                alternative=d.alternative,
                verdicts=tuple(
                    log.MinutesVerdict(
                        town_id=t.town_id,
                        status=Status(t.status),
                        note=t.note,
                        previous_status=Status(t.previous_status) if t.previous_status else None,
                        previous_version=t.previous_version,
                        version=t.version,
                    )
                    for t in towns_of.get(d.id, [])
                ),
                actions=tuple(
                    log.MinutesAction(what=a.what, town_id=a.town_id, due_on=a.due_on)
                    for a in actions_of.get(d.id, [])
                ),
                supersedes_id=d.supersedes_id,
                superseded_by_id=replaced.get(d.id),
                number=refs[d.id].number,
                held_on=meeting.held_on,
                supersedes=refs.get(d.supersedes_id) if d.supersedes_id else None,
                superseded_by=refs.get(replaced[d.id]) if d.id in replaced else None,
            )
            for d in decisions
            if d.id is not None
        ),
        carried=carried,
    )


def gather_minutes(
    *, session: Session, meeting_id: int | None = None, issued_on: datetime | None = None
) -> log.Minutes:
    """The decision log of one meeting, or of the whole project (every meeting, oldest first),
    issued at `issued_on` (default: now)."""
    if meeting_id is not None:
        one = get_meeting(session=session, meeting_id=meeting_id)
        if one is None:
            raise LookupError(meeting_id)
        meetings = [one]
    else:
        meetings = sorted(list_meetings(session=session), key=lambda m: (m.held_on, m.id or 0))
    area_names = {a.id: a.name for a in session.scalars(select(Area))}
    by_meeting = {
        m.id: meeting_decisions(session=session, meeting_id=m.id)
        for m in meetings
        if m.id is not None
    }
    all_ids = [d.id for ds in by_meeting.values() for d in ds if d.id is not None]
    replaced = superseded_by(session=session, decision_ids=all_ids)
    refs = decision_refs(
        session=session, decision_ids={*all_ids, *replaced.values()} | _replaced_ones(by_meeting)
    )
    function_ids = {d.function_id for ds in by_meeting.values() for d in ds}
    for meeting in meetings:
        assert meeting.id is not None  # noqa: S101 - stored meetings
        function_ids.update(i.function_id for i in agenda(session=session, meeting_id=meeting.id))
    names: dict[str, str] = {
        row[0]: row[1]
        for row in session.execute(
            select(_function.c.id, _function.c.name).where(_function.c.id.in_(sorted(function_ids)))
        )
    }
    towns = catalog_queries.list_towns(session=session)
    decided = sorted({d.function_id for ds in by_meeting.values() for d in ds})
    current = catalog_queries.marks_for_functions(session=session, function_ids=decided)
    marks = tuple(
        log.MinutesMark(
            town_id=town.id,
            function_id=function_id,
            function_name=names.get(function_id, ""),
            status=Status(current[(town.id, function_id)].status)
            if (town.id, function_id) in current
            else Status.UNDECIDED,
            note=current[(town.id, function_id)].note
            if (town.id, function_id) in current
            else None,
            version=current[(town.id, function_id)].version
            if (town.id, function_id) in current
            else 0,
        )
        for town in towns
        for function_id in decided
    )
    if meeting_id is not None:
        meeting = meetings[0]
        title = _(
            "議事録 %(area)s %(date)s",
            area=area_names.get(meeting.area_id, meeting.area_id),
            date=wareki(meeting.held_on),
        )
    else:
        title = _("議事録（全会議の決定事項）")
    entries = action_queries.entries(session=session)
    return log.Minutes(
        title=title,
        issued_on=(issued_on or datetime.now(JST)).astimezone(JST).date(),
        towns=tuple(log.MinutesTown(id=t.id, name=t.name) for t in towns),
        meetings=tuple(
            _minutes_meeting(
                session,
                m,
                area_names,
                names,
                replaced,
                refs,
                by_meeting[m.id],
                carried_over(entries, m),
            )
            for m in meetings
            if m.id is not None
        ),
        marks=marks,
        vendor_answers={
            function_id: one_line(answer)
            for function_id, answer in vendor_queries.latest_answers(
                session=session, function_ids=decided
            ).items()
        },
    )


def _replaced_ones(by_meeting: Mapping[int, list[Decision]]) -> set[int]:
    """The decisions that the log's decisions replaced (they may be in other meetings)."""
    return {d.supersedes_id for ds in by_meeting.values() for d in ds if d.supersedes_id}
