"""Posted forms of the marking workspace, read and checked: anything malformed is a 400."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import abort

from fitgap.domain.limits import MAX_NOTE_LENGTH, MAX_YEN
from fitgap.domain.marking import tidy_note
from fitgap.domain.values import PRIORITY_SYNONYMS, Cost, Priority, Status
from fitgap.services.marks import MarkEdit
from fitgap.store.db import MAX_INTEGER
from fitgap.web.presenters.function import Draft

MAX_REASON_LENGTH = 2_000


@dataclass(frozen=True, slots=True)
class MarkForm:
    """A posted mark: from a grid button (status only) or the editor (status, note, cost)."""

    status: Status
    expected_version: int
    full: bool
    note: str | None
    cost: Cost | None
    context: str  # "grid" or "page": which fragments to answer with
    next_url: str | None
    reason: str | None  # why a moderator corrects the mark on the town's behalf
    priority: Priority | None = None  # 優先度, sent with the note (the editor)
    as_is: str | None = None  # 現行運用, likewise

    def edit(self, town_id: str, function_id: str, *, reason: str | None) -> MarkEdit:
        """The change to record on one town's mark (`reason`: a moderator's correction)."""
        return MarkEdit(
            town_id=town_id,
            function_id=function_id,
            status=self.status,
            expected_version=self.expected_version,
            full=self.full,
            note=self.note,
            cost=self.cost,
            reason=reason,
            priority=self.priority,
            as_is=self.as_is,
        )

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> MarkForm:
        """Read and check the posted fields; 400 on anything malformed."""
        try:
            status = Status(form.get("status", ""))
            version = int(form.get("version", ""))
        except ValueError:
            abort(400)
        if not 0 <= version <= MAX_INTEGER:  # no mark has such a version (nor could hold it)
            abort(400)
        full = "note" in form
        note = clean_note(form.get("note")) if full else None
        cost = None
        if full and status is Status.CUSTOMIZATION:
            initial = parse_yen(form.get("cost_initial_yen"))
            annual = parse_yen(form.get("cost_annual_yen"))
            if initial is not None or annual is not None:
                cost = Cost(initial_yen=initial or 0, annual_yen=annual or 0)
        return cls(
            status=status,
            expected_version=version,
            full=full,
            note=note,
            cost=cost,
            context="page" if form.get("context") == "page" else "grid",
            next_url=form.get("next"),
            reason=clean_reason(form.get("reason")),
            priority=parse_priority(form.get("priority")) if full else None,
            as_is=clean_note(form.get("as_is")) if full else None,
        )


def parse_priority(value: str | None) -> Priority | None:
    """The posted priority: empty is unset; anything not offered is a 400."""
    text = (value or "").strip()
    if not text:
        return None
    priority = PRIORITY_SYNONYMS.get(text)
    if priority is None:
        abort(400)
    return priority


def clean_note(value: str | None) -> str | None:
    """A note as stored: browsers' CRLF as LF, no trailing blanks, None when empty."""
    text = tidy_note(value)
    if text is not None and len(text) > MAX_NOTE_LENGTH:
        abort(400)
    return text


def clean_reason(value: str | None) -> str | None:
    """A correction's reason as stored: trimmed, None when empty."""
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_REASON_LENGTH:
        abort(400)
    return text or None


def parse_yen(value: str | None) -> int | None:
    text = (value or "").strip().replace(",", "")
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        abort(400)
    if not 0 <= number <= MAX_YEN:
        abort(400)
    return number


def draft_from_form(form: Mapping[str, str]) -> Draft:
    status = form.get("status", Status.UNDECIDED.value)
    if status not in {s.value for s in Status}:
        status = Status.UNDECIDED.value
    return Draft(
        status=status,
        note=clean_note(form.get("note")) or "",
        cost_initial_yen=parse_yen(form.get("cost_initial_yen")),
        cost_annual_yen=parse_yen(form.get("cost_annual_yen")),
        priority=priority.value if (priority := parse_priority(form.get("priority"))) else "",
        as_is=clean_note(form.get("as_is")) or "",
    )
