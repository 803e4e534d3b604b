"""The meeting forms: a meeting's details and attendees, and a decision with its action items."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request

from fitgap.domain.i18n import _
from fitgap.domain.meetings import minutes as log
from fitgap.domain.values import Outcome, Status
from fitgap.store import meetings as meeting_queries

ACTION_ROWS = 3


ATTENDEE_SEPARATORS = ("／", "/", "、", ",", "\t")


DECISION_STATUSES = (
    Status.FIT,
    Status.WORKFLOW_CHANGE,
    Status.CUSTOMIZATION,
    Status.NOT_APPLICABLE,
)


def parse_attendees(text: str, town_id: str | None) -> list[meeting_queries.AttendeeInput]:
    """One attendee per line: 氏名／役職 (the role is optional)."""
    result = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        name, role = line, ""
        for separator in ATTENDEE_SEPARATORS:
            if separator in line:
                name, role = (part.strip() for part in line.split(separator, 1))
                break
        result.append(meeting_queries.AttendeeInput(name=name, role=role, town_id=town_id))
    return result


def meeting_form(towns: list[Any]) -> tuple[meeting_queries.MeetingInput | None, list[str]]:
    form = request.form
    problems: list[str] = []
    try:
        held_on = date.fromisoformat(form.get("held_on", ""))
    except ValueError:
        held_on = None
        problems.append(_("開催日を入力してください。"))
    attendees = []
    for town in towns:
        attendees += parse_attendees(form.get(f"attendees-{town.id}", ""), town.id)
    attendees += parse_attendees(form.get("attendees-other", ""), None)
    if held_on is None:
        return None, problems
    data = meeting_queries.MeetingInput(
        area_id=form.get("area", ""),
        held_on=held_on,
        moderator=form.get("moderator", ""),
        title=form.get("title", ""),
        place=form.get("place", ""),
        attendees=tuple(attendees),
    )
    return data, problems


def attendee_text(rows: list[Any], town_id: str | None) -> str:
    return "\n".join(
        f"{a.name}／{a.role}" if a.role else a.name for a in rows if a.town_id == town_id
    )


def decision_draft(town_ids: list[str]) -> tuple[log.DecisionDraft | None, list[str]]:
    form = request.form
    try:
        outcome = Outcome(form.get("outcome", ""))
    except ValueError:
        return None, [_("決定内容を選んでください。")]
    verdicts = []
    for town_id in town_ids:
        raw = form.get(f"status-{town_id}", "")
        status = Status(raw) if raw in {s.value for s in DECISION_STATUSES} else Status.UNDECIDED
        verdicts.append(log.TownVerdict(town_id, status, form.get(f"note-{town_id}") or None))
    actions = []
    problems = []
    for row in range(ACTION_ROWS):
        what = form.get(f"action-what-{row}", "").strip()
        town = form.get(f"action-town-{row}", "") or None
        due_text = form.get(f"action-due-{row}", "")
        if not what and not due_text:
            continue
        due = None
        if due_text:
            try:
                due = date.fromisoformat(due_text)
            except ValueError:
                problems.append(_("対応事項の期限は日付で入力してください。"))
        actions.append(log.ActionDraft(what=what, town_id=town, due_on=due))
    draft = log.DecisionDraft(
        outcome=outcome,
        summary=form.get("summary", ""),
        justification=form.get("justification") or None,
        alternative=form.get("alternative") or None,
        verdicts=tuple(verdicts),
        actions=tuple(actions),
    )
    return draft, problems
