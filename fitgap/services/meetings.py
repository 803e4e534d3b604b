"""The meetings' use cases shared by the web and the command line: plan a meeting with the
proposed agenda, and record a decision with the towns' marks and its audit record.

A decision is recorded in the caller's write transaction: the decision, every town's mark
(through `mark_queries.save_mark`, which appends to the mark history), the per-town record,
the action items and the audit record are written together, or nothing at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from fitgap.domain.labels import OUTCOME_LABELS_JA
from fitgap.domain.marking import kept_by_verdict
from fitgap.domain.meetings import minutes as log
from fitgap.domain.meetings.agenda import proposed_agenda
from fitgap.domain.values import Outcome, Requirement, Status
from fitgap.domain.wareki import wareki
from fitgap.services.scoring import scoreboard
from fitgap.store import audit as audit_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store.models import (
    ActionItem,
    Area,
    CatalogFunction,
    Decision,
    DecisionTown,
    Mark,
    Meeting,
    utcnow,
)


def create_meeting(*, session: Session, data: meeting_queries.MeetingInput) -> Meeting:
    """A new meeting with the tool's proposed agenda for its area: the functions worth
    discussing that no current decision settles yet (`fitgap.domain.meetings.agenda`)."""
    meeting_queries.check_meeting(session, data)  # before scoring: the area must exist
    board = scoreboard(session=session, area_id=data.area_id)
    exclude = meeting_queries.decided_functions(session=session, area_id=data.area_id)
    agenda = proposed_agenda(board, data.area_id, exclude=exclude)
    return meeting_queries.create_meeting(session=session, data=data, agenda=agenda)


def record_decision(
    *,
    session: Session,
    meeting_id: int,
    item_id: int,
    draft: log.DecisionDraft,
    supersedes_id: int | None,
    actor: audit_queries.Actor,
    decided_at: datetime | None = None,
) -> Decision:
    """Record a decision, set the towns' marks to match and append the audit record.

    `supersedes_id` is the decision on the function the moderator saw (None: none); if another
    was recorded since, DecisionConflict is raised instead of replacing it unseen.
    `decided_at` defaults to now (a past time is for entering an earlier meeting's log).
    """
    decision = _record(
        session=session,
        meeting_id=meeting_id,
        item_id=item_id,
        draft=draft,
        supersedes_id=supersedes_id,
        decided_at=decided_at,
    )
    action, target, details = decision_audit(session=session, decision=decision)
    audit_queries.append(
        session=session, actor=actor, action=action, target=target, details=details
    )
    return decision


def decision_reason(meeting: Meeting, area_name: str, number: int, outcome: Outcome) -> str:
    """The reason written into the mark history (kept in Japanese, like the minutes); `number`
    is the decision's number within the meeting, as the minutes name it."""
    label = OUTCOME_LABELS_JA[outcome]
    return f"会議 {wareki(meeting.held_on)} {area_name} 決定 #{number}: {label}"


def _record(
    *,
    session: Session,
    meeting_id: int,
    item_id: int,
    draft: log.DecisionDraft,
    supersedes_id: int | None,
    decided_at: datetime | None = None,
) -> Decision:
    """Record a decision and set the towns' marks to match, all or nothing.

    `supersedes_id` is the decision on the function the moderator saw (None: none); if another
    was recorded since, DecisionConflict is raised instead of replacing it unseen.
    `decided_at` defaults to now (a past time is for entering an earlier meeting's log).
    """
    meeting = meeting_queries.lock_meeting(session, meeting_id)
    item = meeting_queries.item_of(session, meeting_id, item_id)
    # Lock the function too, so two meetings cannot record competing decisions at once.
    function = session.scalars(
        select(CatalogFunction).where(CatalogFunction.id == item.function_id).with_for_update()  # type: ignore[arg-type]
    ).one()
    existing = meeting_queries.current_decision(session=session, function_id=function.id)
    if (existing.id if existing else None) != supersedes_id:
        raise meeting_queries.DecisionConflict(existing)
    towns = catalog_queries.list_towns(session=session)
    town_names = {t.id: t.name for t in towns}
    marks = {
        town_id: mark
        for (town_id, _f), mark in catalog_queries.marks_for_functions(
            session=session, function_ids=[function.id]
        ).items()
    }
    current = {t: Status(m.status) for t, m in marks.items()}
    verdicts = log.apply_outcome(draft.outcome, draft.verdicts, current)
    draft = log.DecisionDraft(
        outcome=draft.outcome,
        summary=draft.summary.strip(),
        justification=(draft.justification or "").strip() or None,
        alternative=(draft.alternative or "").strip() or None,
        verdicts=verdicts,
        actions=draft.actions,
    )
    problems = log.check_decision(
        draft,
        town_names=town_names,
        current=current,
        requirement=Requirement(function.requirement),
    )
    if problems:
        raise meeting_queries.MeetingError(problems)
    decision = Decision(
        meeting_id=meeting_id,
        agenda_item_id=item_id,
        function_id=function.id,
        outcome=draft.outcome.value,
        summary=draft.summary or OUTCOME_LABELS_JA[draft.outcome],
        justification=draft.justification,
        alternative=draft.alternative,
        supersedes_id=supersedes_id,
        decided_by=meeting.moderator,
        # Stored in UTC like every time (SQLite keeps no offset).
        decided_at=decided_at.astimezone(UTC) if decided_at else utcnow(),
    )
    session.add(decision)
    session.flush()
    assert decision.id is not None  # noqa: S101 - flushed just above
    area = session.get(Area, meeting.area_id)
    number = meeting_queries.decision_refs(session=session, decision_ids=[decision.id])[
        decision.id
    ].number
    reason = decision_reason(meeting, area.name if area else meeting.area_id, number, draft.outcome)
    if draft.outcome is not Outcome.POSTPONED:
        for verdict in verdicts:
            _apply_verdict(session, meeting, decision.id, function.id, verdict, marks, reason)
    for position, action in enumerate(draft.actions):
        session.add(
            ActionItem(
                decision_id=decision.id,
                town_id=action.town_id,
                what=action.what.strip(),
                due_on=action.due_on,
                position=position,
            )
        )
    if draft.outcome is Outcome.POSTPONED:
        item.later = True
    meeting_queries.bump_state(meeting)
    session.flush()
    return decision


def decision_audit(*, session: Session, decision: Decision) -> tuple[str, str, dict[str, Any]]:
    """(action, target, details) of the audit record of a decision just recorded: the outcome
    and every town's mark before and after."""
    assert decision.id is not None  # noqa: S101 - a stored decision
    towns = meeting_queries.decision_towns(session=session, decision_ids=[decision.id]).get(
        decision.id, []
    )
    details: dict[str, Any] = {
        "meeting": decision.meeting_id,
        "function": decision.function_id,
        "outcome": decision.outcome,
        "marks": {
            t.town_id: {
                "before": t.previous_status,
                "after": t.status,
                "version": t.version,
            }
            for t in towns
        },
    }
    action = "decision.recorded"
    if decision.supersedes_id is not None:
        action = "decision.superseded"
        details["supersedes"] = decision.supersedes_id
    return action, f"decision:{decision.id}", details


def _apply_verdict(
    session: Session,
    meeting: Meeting,
    decision_id: int,
    function_id: str,
    verdict: log.TownVerdict,
    marks: dict[str, Mark],
    reason: str,
) -> None:
    previous = marks.get(verdict.town_id)
    note, cost, priority, as_is = kept_by_verdict(
        mark_queries.as_domain_mark(previous) if previous is not None else None,
        verdict.status,
        verdict.note,
    )
    # The decision is made in the room: it replaces whatever version is current now (read in
    # this transaction), and the record below keeps which one that was.
    saved = mark_queries.save_mark(
        session=session,
        town_id=verdict.town_id,
        function_id=function_id,
        status=verdict.status,
        note=note,
        cost=cost,
        expected_version=previous.version if previous is not None else 0,
        changed_by=meeting.moderator,
        source="decision",
        reason=reason,
        priority=priority,
        as_is=as_is,
    )
    session.add(
        DecisionTown(
            decision_id=decision_id,
            town_id=verdict.town_id,
            status=verdict.status.value,
            note=note,
            previous_status=previous.status if previous is not None else None,
            previous_version=previous.version if previous is not None else 0,
            version=saved.version,
        )
    )
