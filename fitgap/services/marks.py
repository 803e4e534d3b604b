"""Recording one town's mark on one function: the use case behind the grid, the function page
and the moderator's correction.

One write transaction reads the current mark, applies the keep-note rule
(`fitgap.domain.marking`), saves with the optimistic lock and appends the audit record. A
request that arrives again after its answer was lost (or a double click) finds its own change
already saved and counts as saved instead of as a conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from fitgap.domain.files.catalog import MarksFile
from fitgap.domain.files.yamlfile import Problem
from fitgap.domain.i18n import _
from fitgap.domain.marking import kept_by_status_change, lacks_reason
from fitgap.domain.values import Cost, Priority, Status
from fitgap.domain.values import Mark as DomainMark
from fitgap.store import audit as audit_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from fitgap.store.marks import MarkConflict, MarkState
from fitgap.store.models import Mark


@dataclass(frozen=True, slots=True)
class MarkEdit:
    """What a user asks to record on one mark."""

    town_id: str
    function_id: str
    status: Status
    expected_version: int  # the version the user saw; 0 when there was no mark yet
    full: bool  # note and cost were sent (the editor); False: only a status (the grid)
    note: str | None
    cost: Cost | None
    reason: str | None = None  # set when a moderator corrects the mark on the town's behalf
    source: str | None = (
        None  # the history's source; default: "correction" with a reason, else "web"
    )
    priority: Priority | None = None  # 優先度 (sent with the note: only when `full`)
    as_is: str | None = None  # 現行運用 (likewise)


def record_mark(
    database: Database, edit: MarkEdit, *, changed_by: str, actor: audit_queries.Actor
) -> MarkState:
    """Save `edit` and audit it; raises MarkConflict when someone else saved first (with a
    different content), carrying the mark as it is now."""
    try:
        with database.write() as write:
            current = mark_queries.get_mark(
                session=write, town_id=edit.town_id, function_id=edit.function_id
            )
            note, cost, priority, as_is = edit.note, edit.cost, edit.priority, edit.as_is
            if not edit.full and current is not None:
                note, cost, priority, as_is = kept_by_status_change(current.as_domain())
            saved = mark_queries.save_mark(
                session=write,
                town_id=edit.town_id,
                function_id=edit.function_id,
                status=edit.status,
                note=note,
                cost=cost,
                expected_version=edit.expected_version,
                changed_by=changed_by,
                source=source_of(edit),
                reason=edit.reason,
                priority=priority,
                as_is=as_is,
            )
            audit_queries.append(
                session=write,
                actor=actor,
                action="mark.changed",
                target=f"{edit.town_id}/{edit.function_id}",
                details=mark_details(current, saved, edit.reason, source=source_of(edit)),
            )
    except MarkConflict as refused:
        if refused.current is None or not same_as_sent(refused.current, edit):
            raise
        return refused.current
    return saved


def source_of(edit: MarkEdit) -> str:
    """Where the change comes from, as the history names it."""
    if edit.source is not None:
        return edit.source
    return "correction" if edit.reason is not None else "web"


def same_as_sent(current: MarkState | None, sent: MarkEdit) -> bool:
    """Whether the mark already holds what the user sent (e.g. a retried request)."""
    if current is None or current.status != sent.status.value:
        return False
    if not sent.full:
        return True
    cost = sent.cost or Cost(0, 0)
    stored = (current.cost_initial_yen or 0, current.cost_annual_yen or 0)
    priority = sent.priority.value if sent.priority is not None else None
    return (
        current.note == sent.note
        and stored == (cost.initial_yen, cost.annual_yen)
        and (current.priority, current.as_is) == (priority, sent.as_is)
    )


def mark_details(
    before: MarkState | None, after: MarkState, reason: str | None, *, source: str = "correction"
) -> dict[str, Any]:
    """What the audit trail keeps of a mark change."""
    cost_before = (before.cost_initial_yen, before.cost_annual_yen) if before else (None, None)
    details: dict[str, Any] = {
        "town": after.town_id,
        "function": after.function_id,
        "before": before.status if before else None,
        "after": after.status,
        "note_changed": (before.note if before else None) != after.note,
        "cost_changed": cost_before != (after.cost_initial_yen, after.cost_annual_yen),
        "priority_changed": (before.priority if before else None) != after.priority,
        "as_is_changed": (before.as_is if before else None) != after.as_is,
        "version": after.version,
    }
    if reason is not None:
        if source == "correction":
            details["correction"] = True
        else:
            details["source"] = source
        details["reason"] = reason
    return details


def customizations_without_reason(*, session: Session, files: Sequence[MarksFile]) -> list[Problem]:
    """The customizations of marks files that come without a reason (`note`: why the standard
    does not fit), as FILE:LINE problems. The file format keeps `note` optional; importing a
    customization asks for it, like the web. A mark already stored exactly so passes: the file
    changes nothing, and the reason is asked for when the mark next changes."""
    missing = [
        (marks_file, mark)
        for marks_file in files
        for mark in marks_file.marks
        if lacks_reason(mark.status, mark.note)
    ]
    if not missing:
        return []
    stored = catalog_queries.marks_for_functions(
        session=session, function_ids=sorted({mark.function_id for _, mark in missing})
    )
    problems = []
    for marks_file, mark in missing:
        current = stored.get((mark.town_id, mark.function_id))
        if current is not None and _same_mark(current, mark):
            continue
        problems.append(
            Problem(
                marks_file.source,
                marks_file.lines.get(mark.function_id, 0),
                _(
                    "機能 %(id)s の判定はカスタマイズ（customization）ですが、note がありません。"
                    "note に標準の機能で足りない理由を書いてください",
                    id=mark.function_id,
                ),
            )
        )
    return problems


def _same_mark(stored: Mark, mark: DomainMark) -> bool:
    initial, annual = (mark.cost.initial_yen, mark.cost.annual_yen) if mark.cost else (None, None)
    return (
        stored.status == mark.status.value
        and (stored.note or None) == (mark.note or None)
        and (stored.cost_initial_yen, stored.cost_annual_yen) == (initial, annual)
        and stored.priority == (mark.priority.value if mark.priority is not None else None)
        and (stored.as_is or None) == (mark.as_is or None)
    )
