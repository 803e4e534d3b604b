"""What a new verdict keeps of the mark it replaces: one rule for every channel.

A status changed on its own (a grid button, a status-only sheet row) keeps the note, the cost
estimate, the priority (優先度) and today's practice (現行運用) already written; a meeting's
verdict keeps the town's note only when it confirms the town's own status, and a customization
that stays keeps the town's estimate (the cost lens needs it). How much the town needs the
function and how it works today are facts about the town, not about the verdict: a verdict
keeps them whatever it decides. The web, the decisions and the tests all go through these
two functions.
"""

from __future__ import annotations

from typing import NamedTuple

from fitgap.domain.values import Cost, Mark, Priority, Status


def tidy_note(text: str | None) -> str | None:
    """A note (or today's practice) as stored, whatever channel it came through: line breaks
    as LF, no trailing blanks or line breaks (a YAML `|` block ends with one, a browser sends
    CRLF), None when nothing is left. Spreadsheets and the minutes then show no empty last line."""
    if text is None:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip() or None


class Kept(NamedTuple):
    """What a new verdict carries over from the mark it replaces."""

    note: str | None
    cost: Cost | None
    priority: Priority | None = None
    as_is: str | None = None


def kept_by_status_change(previous: Mark | None) -> Kept:
    """The note, cost, priority and today's practice a status-only change keeps of `previous`."""
    if previous is None:
        return Kept(None, None)
    return Kept(previous.note, previous.cost, previous.priority, previous.as_is)


def kept_by_verdict(previous: Mark | None, status: Status, note: str | None) -> Kept:
    """What a meeting's verdict (`status`, with its own `note`) leaves on a mark."""
    kept_note = (note or "").strip() or None
    if kept_note is None and previous is not None and previous.status is status:
        kept_note = previous.note  # the verdict stands: so does the town's explanation of it
    cost = None
    if previous is not None and status is Status.CUSTOMIZATION:
        cost = previous.cost
    if previous is None:
        return Kept(kept_note, cost)
    return Kept(kept_note, cost, previous.priority, previous.as_is)


def lacks_reason(status: Status, note: str | None) -> bool:
    """True for a customization without a reason (why the standard does not fit): the meeting
    weighs every customization against a workflow change on that reason, so no channel (the
    web, the marking sheet, a marks file) records one without it."""
    return status is Status.CUSTOMIZATION and not (note or "").strip()
