"""The vendor's answers: record one, the answer sheet round trip, and a town accepting one.

Shared by the web and the command line, so both apply the same checks and leave the same
audit records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from fitgap.domain.files.answer_sheet import (
    AnswerChange,
    build_answer_sheet,
    preview_answers,
    read_answer_sheet,
)
from fitgap.domain.files.yamlfile import InvalidInput, Problem
from fitgap.domain.i18n import _
from fitgap.domain.values import Status
from fitgap.domain.vendor import (
    VendorAnswer,
    acceptance_reason,
    accepted_status,
    answer_problems,
)
from fitgap.services.marks import MarkEdit, record_mark
from fitgap.store import audit as audit_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store import vendor as vendor_queries
from fitgap.store.db import Database
from fitgap.store.marks import MarkState
from fitgap.store.models import utcnow
from fitgap.store.vendor import AnswerConflict

__all__ = [
    "AnswerConflict",
    "AnswerPreview",
    "NotAcceptable",
    "accept_answer",
    "apply_answer_preview",
    "preview_answer_sheet",
    "record_answer",
    "requests_sheet",
]


class NotAcceptable(Exception):
    """The answer cannot be accepted by this town (superseded, not avoiding a customization,
    or the town does not mark the function カスタマイズ)."""


def _answer_details(answer: VendorAnswer, source: str) -> dict[str, object]:
    return {
        "function": answer.function_id,
        "answer": answer.id,
        "kind": answer.kind.value,
        "source": source,
        "cost": [answer.cost.initial_yen, answer.cost.annual_yen] if answer.cost else None,
    }


def record_answer(
    *,
    session: Session,
    answer: VendorAnswer,
    expected_id: int,
    source: str,
    actor: audit_queries.Actor,
) -> VendorAnswer:
    """Store one answer in the caller's transaction (superseding the current one) and audit it;
    InvalidInput when the answer is incomplete, AnswerConflict when `expected_id` (the answer
    the vendor saw, 0: none) is no longer the current one."""
    problems = answer_problems(answer.kind, answer.detail, answer.text, answer.cost)
    if catalog_queries.get_function(session=session, function_id=answer.function_id) is None:
        problems.append(_("機能 %(id)s はカタログにありません", id=answer.function_id))
    if problems:
        raise InvalidInput([Problem(answer.function_id, 0, p) for p in problems])
    try:
        saved = vendor_queries.add_answer(
            session=session, answer=answer, source=source, expected_id=expected_id
        )
    except IntegrityError:  # another answer superseded the same one at the same moment
        raise AnswerConflict(answer.function_id) from None
    audit_queries.append(
        session=session,
        actor=actor,
        action="vendor.answered",
        target=answer.function_id,
        details=_answer_details(saved, source),
    )
    return saved


def accept_answer(
    database: Database,
    *,
    town_id: str,
    answer_id: int,
    expected_version: int,
    changed_by: str,
    actor: audit_queries.Actor,
) -> MarkState:
    """A town accepts the vendor's answer: its カスタマイズ mark becomes 適合 (standard function,
    setting) or 業務見直し (procedure), the history naming the answer as the reason. The mark's
    own note stays; the town's cost guess goes with the customization. NotAcceptable when the
    answer is not the current one or does not avoid the customization, or the town does not
    mark the function カスタマイズ; MarkConflict when the mark changed since `expected_version`.
    """
    with database.session() as read:
        answer = vendor_queries.get_answer(session=read, answer_id=answer_id)
        if answer is None or not vendor_queries.is_latest(session=read, answer=answer):
            raise NotAcceptable(_("この回答は新しい回答に置き換えられています"))
        current = mark_queries.get_mark(
            session=read, town_id=town_id, function_id=answer.function_id
        )
    status = accepted_status(answer.kind)
    if status is None:
        raise NotAcceptable(_("この回答はカスタマイズを不要にするものではありません"))
    if current is None or current.status != Status.CUSTOMIZATION.value:
        raise NotAcceptable(_("この町はこの機能をカスタマイズと判定していません"))
    edit = MarkEdit(
        town_id=town_id,
        function_id=answer.function_id,
        status=status,
        expected_version=expected_version,
        full=True,
        note=current.note,
        cost=None,
        reason=acceptance_reason(answer),
        source="vendor",
    )
    return record_mark(database, edit, changed_by=changed_by, actor=actor)


def requests_sheet(
    *, session: Session, area_id: str | None = None, now: datetime | None = None
) -> bytes:
    """The open customization requests as the vendor's answer sheet (XLSX)."""
    requests = vendor_queries.open_requests(session=session, area_id=area_id)
    names = {area.id: area.name for area in catalog_queries.list_areas(session=session)}
    return build_answer_sheet(requests=requests, area_names=names, generated_at=now or utcnow())


@dataclass(frozen=True, slots=True)
class AnswerPreview:
    """What an uploaded answer sheet would store."""

    changes: list[AnswerChange]

    @property
    def conflicts(self) -> list[AnswerChange]:
        """Rows whose function got another answer since the download."""
        return [c for c in self.changes if c.conflict]


def preview_answer_sheet(
    *, session: Session, source: Path | bytes, display: str, today: date
) -> AnswerPreview:
    """Validate an uploaded answer sheet (InvalidInput on any problem) and list its answers."""
    rows = read_answer_sheet(
        source,
        function_ids=catalog_queries.active_function_ids(session=session),
        today=today,
        display=display,
    )
    current = vendor_queries.latest_answers(
        session=session, function_ids=[row.answer.function_id for row in rows]
    )
    return AnswerPreview(preview_answers(rows, current))


def apply_answer_preview(
    *,
    session: Session,
    preview: AnswerPreview,
    answered_by: str,
    filename: str,
    actor: audit_queries.Actor,
) -> int:
    """Store every answer of a preview in the caller's transaction, or none (AnswerConflict)."""
    if preview.conflicts:
        raise AnswerConflict(", ".join(c.function_id for c in preview.conflicts))
    for change in preview.changes:
        record_answer(
            session=session,
            answer=replace(change.after, answered_by=answered_by),
            expected_id=change.expected_id,
            source="xlsx",
            actor=actor,
        )
    audit_queries.append(
        session=session,
        actor=actor,
        action="vendor.imported",
        target=None,
        details={"file": filename, "answers": len(preview.changes)},
    )
    return len(preview.changes)
