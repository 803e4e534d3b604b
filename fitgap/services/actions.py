"""Following up the action items between meetings: the person responsible (or the moderator)
marks one done with a note, or reopens it; each report is a new row and an audit record."""

from __future__ import annotations

from sqlmodel import Session

from fitgap.domain.i18n import _
from fitgap.domain.meetings.actions import MAX_ACTION_NOTE_LENGTH
from fitgap.store import actions as action_queries
from fitgap.store import audit as audit_queries


class ActionError(ValueError):
    """A report on an action item that cannot be recorded; the reasons in the user's language."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def set_done(
    *,
    session: Session,
    action_id: int,
    done: bool,
    note: str,
    recorded_by: str,
    actor: audit_queries.Actor,
) -> bool:
    """Mark the item done (or open again) with a note, in the caller's write transaction.

    Returns False when the item already stood so (the same report sent twice: nothing is
    written). LookupError: no such item.
    """
    text = note.strip() or None
    if text is not None and len(text) > MAX_ACTION_NOTE_LENGTH:
        raise ActionError(
            [_("メモは%(limit)s文字以内で入力してください。", limit=MAX_ACTION_NOTE_LENGTH)]
        )
    if not done and text is None:
        raise ActionError([_("対応事項を再開する理由を入力してください。")])
    action_queries.lock_item(session, action_id)
    found = action_queries.entry(session=session, action_id=action_id)
    if found is None:
        raise LookupError(action_id)
    if found.done == done:
        return False
    action_queries.add_status(
        session=session, action_id=action_id, done=done, note=text, recorded_by=recorded_by
    )
    audit_queries.append(
        session=session,
        actor=actor,
        action="action.done" if done else "action.reopened",
        target=f"action:{action_id}",
        details={
            "meeting": found.meeting_id,
            "decision": found.decision_id,
            "function": found.function_id,
            "town": found.town_id,
            "what": found.what,
            "note": text,
        },
    )
    return True
