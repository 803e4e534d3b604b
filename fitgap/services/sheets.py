"""The Excel round trip of a town's marks: build the marking sheet, preview and apply an upload.

Composes the query functions with the pure `domain.marking_sheet`; used by the command line
and the web alike, so both apply the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from fitgap.domain.files.marking_sheet import (
    MarkChangePreview,
    MarkRow,
    Resolution,
    ResolvedChanges,
    build_marking_sheet,
    preview_changes,
    read_marking_sheet,
    resolve_conflicts,
)
from fitgap.domain.i18n import _
from fitgap.domain.values import PRIORITY_SYNONYMS, Status
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.models import Mark, utcnow


class SheetConflict(Exception):
    """Some rows were changed by someone else since the sheet was downloaded, and nobody chose
    between the two verdicts (`unresolved`), or a mark changed again after the choice was made
    (`moved`). `preview` is the upload as it stands now, to choose again from."""

    def __init__(self, preview: SheetPreview, resolved: ResolvedChanges) -> None:
        self.preview = preview
        self.unresolved = list(resolved.unresolved)
        self.moved = list(resolved.moved)
        self.refused = list(resolved.refused)
        names = ", ".join(preview.label(c.function_id) for c in resolved.refused)
        if self.moved:
            message = _(
                "確認のあとに、ほかの人がまた変更した機能があります。何も反映していません: "
                "%(functions)s",
                functions=names,
            )
        else:
            message = _(
                "判定シートの出力後に、ほかの人が変更した機能があります: %(functions)s",
                functions=names,
            )
        super().__init__(message)


def _mark_row(state: Mark | None) -> MarkRow:
    if state is None:
        return MarkRow()
    return MarkRow(
        status=Status(state.status),
        note=state.note,
        version=state.version,
        cost_initial_yen=state.cost_initial_yen,
        cost_annual_yen=state.cost_annual_yen,
        priority=PRIORITY_SYNONYMS.get(state.priority) if state.priority else None,
        as_is=state.as_is,
    )


def _current_marks(*, session: Session, town_id: str, area_id: str) -> dict[str, Mark | None]:
    function_ids = [f.id for f in catalog_queries.area_functions(session=session, area_id=area_id)]
    marks = catalog_queries.marks_for_functions(session=session, function_ids=function_ids)
    return {function_id: marks.get((town_id, function_id)) for function_id in function_ids}


def current_rows(*, session: Session, town_id: str, area_id: str) -> dict[str, MarkRow]:
    """The town's current marks on the area's functions, as the sheet sees them."""
    marks = _current_marks(session=session, town_id=town_id, area_id=area_id)
    return {function_id: _mark_row(mark) for function_id, mark in marks.items()}


def sheet_bytes(
    *, session: Session, town_id: str, area_id: str, now: datetime | None = None
) -> bytes:
    """The marking sheet of one town for one area (XLSX)."""
    town = next((t for t in catalog_queries.list_towns(session=session) if t.id == town_id), None)
    area = catalog_queries.get_area(session=session, area_id=area_id)
    if town is None or area is None:
        raise LookupError(town_id if town is None else area_id)
    functions = mark_queries.scoring_input(session=session, area_id=area_id).functions
    return build_marking_sheet(
        town_id=town.id,
        town_name=town.name,
        area_id=area.id,
        area_name=area.name,
        functions=functions,
        marks=current_rows(session=session, town_id=town_id, area_id=area_id),
        generated_at=now or utcnow(),
    )


@dataclass(frozen=True, slots=True)
class LastChange:
    """Who last saved a mark (as the history names them) and when (UTC)."""

    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SheetPreview:
    """What an uploaded sheet would change."""

    town_id: str
    area_id: str
    changes: list[MarkChangePreview]
    names: Mapping[str, str] = field(default_factory=dict)  # function id -> name
    # function id -> who saved the current mark and when, for the conflicts: people choose
    # between the two verdicts knowing whose work the current one is.
    last_changes: Mapping[str, LastChange] = field(default_factory=dict)

    @property
    def conflicts(self) -> list[MarkChangePreview]:
        """Changes to marks that someone else changed since the download."""
        return [c for c in self.changes if c.conflict]

    def label(self, function_id: str) -> str:
        """A function as people know it: its id and name."""
        name = self.names.get(function_id)
        return f"{function_id} {name}" if name else function_id


@dataclass(frozen=True, slots=True)
class SheetApplied:
    """What an applied sheet did: marks saved, and conflicts where the current mark stayed."""

    saved: int
    kept: int


def preview_sheet(
    *, session: Session, source: Path | bytes, town_id: str, area_id: str, display: str
) -> SheetPreview:
    """Validate an uploaded sheet (InvalidInput on any problem, WrongFile when it is not this
    town's sheet of this area) and list what it changes."""
    functions = catalog_queries.area_functions(session=session, area_id=area_id)
    names = {f.id: f.name for f in functions}
    sheet = read_marking_sheet(
        source,
        town_id=town_id,
        area_id=area_id,
        function_ids=set(names),
        display=display,
        function_names=names,
    )
    marks = _current_marks(session=session, town_id=town_id, area_id=area_id)
    current = {function_id: _mark_row(mark) for function_id, mark in marks.items()}
    changes = preview_changes(sheet, current)
    last_changes = {
        change.function_id: LastChange(mark.updated_by, mark.updated_at)
        for change in changes
        if change.conflict and (mark := marks.get(change.function_id)) is not None
    }
    return SheetPreview(town_id, area_id, changes, names, last_changes)


def apply_preview(
    *,
    session: Session,
    preview: SheetPreview,
    changed_by: str,
    resolutions: Mapping[str, Resolution] | None = None,
) -> SheetApplied:
    """Apply every change of a preview in the caller's transaction, or none (SheetConflict).

    A conflict needs an answer in `resolutions` (by function id) given on the version the
    person saw: keep the current mark, or save the sheet's verdict over it. Every save is
    based on the version it was checked against, so a change that slips in between the check
    and the save refuses the whole sheet too."""
    resolved = resolve_conflicts(preview.changes, resolutions or {})
    if resolved.refused:
        raise SheetConflict(preview, resolved)
    for change in resolved.to_save:
        mark = change.to_mark(preview.town_id)
        try:
            mark_queries.save_mark(
                session=session,
                town_id=preview.town_id,
                function_id=change.function_id,
                status=mark.status,
                note=mark.note,
                cost=mark.cost,
                expected_version=change.expected_version,
                changed_by=changed_by,
                source="xlsx",
                priority=mark.priority,
                as_is=mark.as_is,
            )
        except mark_queries.MarkConflict:
            moved = ResolvedChanges((), (), (), (change,))
            raise SheetConflict(preview, moved) from None
    return SheetApplied(saved=len(resolved.to_save), kept=len(resolved.kept))
