"""What a new verdict keeps of the mark it replaces: one rule for every channel.

A status changed on its own (a grid button, a status-only sheet row) keeps the note and the
cost estimate already written; a meeting's verdict keeps the town's note only when it confirms
the town's own status, and a customization that stays keeps the town's estimate (the cost lens
needs it). The web, the decisions and the tests all go through these two functions.
"""

from __future__ import annotations

from fitgap.domain.values import Cost, Mark, Status


def kept_by_status_change(previous: Mark | None) -> tuple[str | None, Cost | None]:
    """The note and cost a status-only change carries over from `previous`."""
    if previous is None:
        return None, None
    return previous.note, previous.cost


def kept_by_verdict(
    previous: Mark | None, status: Status, note: str | None
) -> tuple[str | None, Cost | None]:
    """The note and cost a meeting's verdict (`status`, with its own `note`) leaves on a mark."""
    kept_note = (note or "").strip() or None
    if kept_note is None and previous is not None and previous.status is status:
        kept_note = previous.note  # the verdict stands: so does the town's explanation of it
    cost = None
    if previous is not None and status is Status.CUSTOMIZATION:
        cost = previous.cost
    return kept_note, cost
