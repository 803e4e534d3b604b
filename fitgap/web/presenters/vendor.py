"""What the vendor's pages show: the open requests with the answers, the answer form, and the
answer block of the function page and the meeting's item (view models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from fitgap.domain.labels import answer_kind_label
from fitgap.domain.values import AnswerKind, Status
from fitgap.domain.vendor import (
    CustomizationRequest,
    VendorAnswer,
    accepted_status,
    detail_prompt,
    one_line,
)
from fitgap.store import catalog as catalog_queries
from fitgap.store import vendor as vendor_queries
from fitgap.store.models import Mark
from fitgap.web import authz


@dataclass(frozen=True, slots=True)
class AnswerView:
    """The vendor's current answer on a function, as the pages show it."""

    answer: VendorAnswer
    label: str
    prompt: str
    line: str
    accepted_status: Status | None  # the mark a town takes on accepting it (None: not acceptable)
    earlier: int  # how many answers it superseded


def answer_view(answer: VendorAnswer | None, earlier: int = 0) -> AnswerView | None:
    """The view of an answer (None when there is none)."""
    if answer is None:
        return None
    return AnswerView(
        answer=answer,
        label=answer_kind_label(answer.kind),
        prompt=detail_prompt(answer.kind),
        line=one_line(answer),
        accepted_status=accepted_status(answer.kind),
        earlier=earlier,
    )


def function_answer(session: Session, function_id: str) -> AnswerView | None:
    """The current answer on one function, with how many it superseded."""
    history = vendor_queries.answer_history(session=session, function_id=function_id)
    latest = vendor_queries.latest_answer(session=session, function_id=function_id)
    return answer_view(latest, max(0, len(history) - 1))


def acceptance(
    answer: AnswerView | None, mark: Mark | None, town_id: str | None, area_id: str
) -> dict[str, Any] | None:
    """The accept button of the function page: shown to the staff of a town that marks the
    function カスタマイズ when the answer makes the customization unnecessary."""
    if (
        answer is None
        or answer.accepted_status is None
        or town_id is None
        or mark is None
        or mark.status != Status.CUSTOMIZATION.value
        or authz.is_correction(town_id)
        or not authz.can_edit_marks(town_id, area_id)
    ):
        return None
    return {"town_id": town_id, "version": mark.version, "status": answer.accepted_status}


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One open request on the list."""

    request: CustomizationRequest
    area_name: str
    answer: AnswerView | None


def requests_context(session: Session, *, area_id: str | None, unanswered: bool) -> dict[str, Any]:
    """The open customization requests (optionally of one area, or only the unanswered)."""
    areas = catalog_queries.list_areas(session=session)
    names = {area.id: area.name for area in areas}
    requests = vendor_queries.open_requests(session=session, area_id=area_id)
    rows = [
        RequestRow(r, names.get(r.area_id, r.area_id), answer_view(r.answer))
        for r in requests
        if not (unanswered and r.answer is not None)
    ]
    return {
        "rows": rows,
        "areas": areas,
        "area_id": area_id or "",
        "unanswered": unanswered,
        "total": len(requests),
        "answered": sum(1 for r in requests if r.answer is not None),
    }


def kind_choices() -> list[tuple[str, str, str]]:
    """(value, label, what the detail says) of every answer kind, for the form."""
    return [(kind.value, answer_kind_label(kind), detail_prompt(kind)) for kind in AnswerKind]
