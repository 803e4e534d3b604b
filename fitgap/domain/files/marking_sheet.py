"""A town's marking sheet: its verdicts on one area as an Excel file to fill offline, and back.

The sheet shows the functions with their text and lets staff fill in a few things only: the
status (a drop-down), a note, for customizations the cost, and (from format /2) the priority
(優先度, a drop-down) and today's practice (現行運用). Everything else is protected,
and on upload nothing else is trusted: a hidden sheet written by fitgap says which town, area
and functions the rows are, and what each mark was (and its version) at download. So the upload
knows what the staff changed in the file, and which of those changes meet a mark that someone
else changed since (a conflict), instead of silently undoing their work.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from fitgap.domain.files import sheet_kit
from fitgap.domain.files.xlsx_catalog import cell_ref, open_workbook
from fitgap.domain.files.yamlfile import InvalidInput, Problem
from fitgap.domain.i18n import N_, _
from fitgap.domain.labels import (
    PRIORITY_LABELS_JA,
    STATUS_LABELS_JA,
    priority_label,
    requirement_label,
    status_label,
)
from fitgap.domain.limits import (
    MAX_NOTE_LENGTH,
    MAX_SHEET_ROWS,
    MAX_VERSION,
    MAX_YEN,
)
from fitgap.domain.marking import lacks_reason
from fitgap.domain.values import (
    PRIORITY_SYNONYMS,
    STATUS_SYNONYMS,
    Cost,
    Function,
    Mark,
    Priority,
    Requirement,
    Status,
)
from fitgap.domain.wareki import japan_stamp

__all__ = [
    "MARKING_SHEET_FORMAT",
    "META_SHEET",
    "FieldChange",
    "MarkChangePreview",
    "MarkRow",
    "Resolution",
    "ResolvedChanges",
    "SheetMarks",
    "SheetRow",
    "WrongFile",
    "build_marking_sheet",
    "field_changes",
    "preview_changes",
    "read_marking_sheet",
    "resolve_conflicts",
]

MARKING_SHEET_FORMAT = "fitgap-marking-sheet/2"
# Sheets of format /1 have no priority and no today's practice: they are read as before, and
# an upload of one leaves both as they are.
MARKING_SHEET_FORMATS = ("fitgap-marking-sheet/1", MARKING_SHEET_FORMAT)
META_SHEET = sheet_kit.META_SHEET

# The layout of the format; the reader relies on it, never on the headers. Format /2 adds the
# last two columns and keeps every other where format /1 had it.
HEADER_ROW = 7
COL_ID, COL_H1, COL_H2, COL_H3, COL_NAME, COL_CLASS, COL_TEXT = 1, 2, 3, 4, 5, 6, 7
COL_STATUS, COL_NOTE, COL_INITIAL, COL_ANNUAL, COL_VERSION = 8, 9, 10, 11, 12
COL_PRIORITY, COL_AS_IS = 13, 14
HEADERS = (
    N_("機能ID"),
    N_("大項目"),
    N_("中項目"),
    N_("小項目"),
    N_("機能名称"),
    N_("区分"),
    N_("要件"),
    N_("判定"),
    N_("理由・運用メモ"),
    N_("初期費用（円）"),
    N_("年間費用（円）"),
    N_("版"),
    N_("優先度"),
    N_("現行運用"),
)
EDITABLE_COLUMNS = (COL_STATUS, COL_NOTE, COL_INITIAL, COL_ANNUAL, COL_PRIORITY, COL_AS_IS)
LAYOUT = sheet_kit.FormLayout(
    header_row=HEADER_ROW,
    headers=HEADERS,
    widths={
        COL_ID: (10, 10),
        COL_H1: (8, 16),
        COL_H2: (8, 16),
        COL_H3: (8, 16),
        COL_NAME: (14, 30),
        COL_CLASS: (12, 20),
        COL_TEXT: (30, 60),
        COL_STATUS: (14, 14),
        COL_NOTE: (40, 40),
        COL_INITIAL: (14, 14),
        COL_ANNUAL: (14, 14),
        COL_VERSION: (6, 6),
        COL_PRIORITY: (10, 10),
        COL_AS_IS: (30, 30),
    },
    wrapped=(COL_H1, COL_H2, COL_H3, COL_NAME, COL_TEXT, COL_NOTE, COL_AS_IS),
    editable=EDITABLE_COLUMNS,
    number_formats={COL_ID: "@", COL_INITIAL: "#,##0", COL_ANNUAL: "#,##0"},
    id_column=COL_ID,
)
_META_KEYS = ("format", "town", "area", "sheet", "header_row", "generated_at")
_META_TABLE = (
    "row",
    "function",
    "version",
    "status",
    "note",
    "cost_initial_yen",
    "cost_annual_yen",
    "priority",
    "as_is",
)
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True, slots=True)
class MarkRow:
    """A town's mark on one function as the sheet deals with it; version 0: no mark saved yet."""

    status: Status = Status.UNDECIDED
    note: str | None = None
    version: int = 0
    cost_initial_yen: int | None = None
    cost_annual_yen: int | None = None
    priority: Priority | None = None
    as_is: str | None = None

    @property
    def cost(self) -> Cost | None:
        """The cost as the domain's Cost, or None when neither amount is given."""
        if self.cost_initial_yen is None and self.cost_annual_yen is None:
            return None
        return Cost.of(self.cost_initial_yen, self.cost_annual_yen)

    def same_verdict(self, other: MarkRow) -> bool:
        """Same status, note (line ends and outer blanks aside), cost, priority and today's
        practice; versions aside."""
        return (
            self.status is other.status
            and _note_key(self.note) == _note_key(other.note)
            and (self.cost_initial_yen, self.cost_annual_yen)
            == (other.cost_initial_yen, other.cost_annual_yen)
            and self.priority is other.priority
            and _note_key(self.as_is) == _note_key(other.as_is)
        )


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One function's row of an uploaded sheet: what it says now, and what it said at download."""

    function_id: str
    row: int
    status: Status
    note: str | None
    cost_initial_yen: int | None
    cost_annual_yen: int | None
    base_version: int  # the mark's version at download (0: there was no mark)
    downloaded: MarkRow
    priority: Priority | None = None
    as_is: str | None = None

    @property
    def mark(self) -> MarkRow:
        """The row's verdict, with the version it was based on."""
        return MarkRow(
            self.status,
            self.note,
            self.base_version,
            self.cost_initial_yen,
            self.cost_annual_yen,
            self.priority,
            self.as_is,
        )

    @property
    def edited(self) -> bool:
        """True when the staff changed status, note, cost, priority or today's practice."""
        return not self.mark.same_verdict(self.downloaded)


@dataclass(frozen=True, slots=True)
class SheetMarks:
    """A marking sheet as uploaded: its town, area and one row per function."""

    town_id: str
    area_id: str
    rows: tuple[SheetRow, ...]
    generated_at: datetime | None = None
    source: str = ""
    # False for a sheet of format /1: it has no priority nor today's practice to apply.
    has_priority: bool = True

    @property
    def edited(self) -> tuple[SheetRow, ...]:
        """The rows changed in the file."""
        return tuple(row for row in self.rows if row.edited)


@dataclass(frozen=True, slots=True)
class MarkChangePreview:
    """What an upload would change on one mark, before anything is written."""

    function_id: str
    row: int
    before: MarkRow  # the current mark (undecided, version 0 when there is none)
    after: MarkRow  # what will be saved; its version is the one the change is based on
    conflict: bool  # the mark changed since the download: someone else's work is in the way

    @property
    def expected_version(self) -> int:
        """The version the save must find (optimistic locking; 0: no mark yet)."""
        return self.after.version

    @property
    def changed_fields(self) -> tuple[str, ...]:
        """Which of status, note and cost change."""
        fields: list[str] = []
        if self.before.status is not self.after.status:
            fields.append("status")
        if _note_key(self.before.note) != _note_key(self.after.note):
            fields.append("note")
        if (self.before.cost_initial_yen, self.before.cost_annual_yen) != (
            self.after.cost_initial_yen,
            self.after.cost_annual_yen,
        ):
            fields.append("cost")
        if self.before.priority is not self.after.priority:
            fields.append("priority")
        if _note_key(self.before.as_is) != _note_key(self.after.as_is):
            fields.append("as_is")
        return tuple(fields)

    def taking_sheet(self) -> MarkChangePreview:
        """The change once a person chose the sheet's verdict over the current mark: the save
        is based on the current version (the one they saw), no longer on the download's."""
        return replace(self, after=replace(self.after, version=self.before.version), conflict=False)

    def to_mark(self, town_id: str) -> Mark:
        """The new verdict as a domain Mark."""
        after = self.after
        cost = after.cost if after.status is Status.CUSTOMIZATION else None
        return Mark(
            town_id, self.function_id, after.status, after.note, cost, after.priority, after.as_is
        )


class WrongFile(InvalidInput):
    """The upload is not this town's marking sheet of this area. `problems` keep the precise
    detail (for the command line and the logs); `kind` and the town and area the file names
    let a page say plainly what is wrong: it is not a readable workbook (UNREADABLE), not a
    marking sheet (NOT_A_SHEET), a sheet whose hidden data or sheet was damaged (DAMAGED), or
    another town's or area's sheet (OTHER; `town` and `area` set to what differs)."""

    UNREADABLE = "unreadable"
    NOT_A_SHEET = "not_a_sheet"
    DAMAGED = "damaged"
    OTHER = "other"

    def __init__(
        self,
        problems: list[Problem],
        kind: str,
        *,
        town: str | None = None,
        area: str | None = None,
    ) -> None:
        super().__init__(problems)
        self.kind = kind
        self.town = town
        self.area = area


def _note_key(note: str | None) -> str:
    """A note as a cell gives it back: line ends, outer blanks and control characters aside."""
    if not note:
        return ""
    note = ILLEGAL_CHARACTERS_RE.sub("", note)
    lines = note.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


# --- writing -----------------------------------------------------------------------------------


def _sheet_title(area_name: str) -> str:
    title = _SHEET_TITLE_FORBIDDEN.sub("", area_name).strip()[:31]
    return title if title and title != META_SHEET else _("判定")


def _write_title(sheet: Any, town: str, area: str, generated_at: datetime) -> None:
    stamp = japan_stamp(generated_at)
    block = [
        (_("Fit&Gap 判定シート"), sheet_kit.title_font()),
        (town, sheet_kit.font(bold=True)),
        (area, sheet_kit.font(bold=True)),
        (_("出力日時: %(when)s", when=stamp), sheet_kit.font()),
    ]
    for row, (text, font) in enumerate(block, start=1):
        sheet_kit.put(sheet, row, 1, text).font = font
    sheet_kit.write_instructions(
        sheet,
        5,
        _(
            "黄色の列（判定・理由・運用メモ・費用）だけを記入してください。判定はプルダウンから"
            "選びます。費用はカスタマイズの場合だけ、円単位の整数で記入します。そのほかの列は"
            "変更できず、変更しても取り込まれません。アップロードすると変更点の確認画面が出て、"
            "すべての行に問題がない場合だけまとめて反映されます。"
        ),
        columns=len(HEADERS),
        lines=3,
    )
    sheet_kit.write_headers(sheet, LAYOUT)


def _row_values(function: Function, mark: MarkRow) -> list[object]:
    """A function's row of the sheet, in HEADERS order."""
    headings = [*function.path[:2], " › ".join(function.path[2:])]
    headings += [""] * (3 - len(headings))
    return [
        function.id,
        *headings,
        function.name,
        requirement_label(function.requirement),
        function.text.rstrip("\n"),
        STATUS_LABELS_JA[mark.status],
        mark.note.rstrip("\n") if mark.note else None,
        mark.cost_initial_yen,
        mark.cost_annual_yen,
        mark.version,
        PRIORITY_LABELS_JA[mark.priority] if mark.priority is not None else None,
        mark.as_is.rstrip("\n") if mark.as_is else None,
    ]


def _meta_entry(row: int, function: Function, mark: MarkRow) -> tuple[object, ...]:
    """A row's entry in the hidden sheet: which function it is, and its mark (with its version)
    at download."""
    return (
        row,
        function.id,
        mark.version,
        mark.status.value,
        mark.note,
        mark.cost_initial_yen,
        mark.cost_annual_yen,
        mark.priority.value if mark.priority is not None else None,
        mark.as_is,
    )


def _write_rows(sheet: Any, functions: Sequence[Function], rows: list[list[object]]) -> None:
    sheet_kit.write_rows(sheet, LAYOUT, rows)
    # The visible version is for the curious; the upload reads the hidden metadata's.
    sheet.column_dimensions[get_column_letter(COL_VERSION)].hidden = True
    warning = sheet_kit.font(color="C00000")
    for offset, function in enumerate(functions, start=1):
        if function.requirement is Requirement.PROHIBITED:
            sheet.cell(HEADER_ROW + offset, COL_CLASS).font = warning


def _add_validations(sheet: Any, last: int) -> None:
    first = HEADER_ROW + 1
    labels = ",".join(STATUS_LABELS_JA[s] for s in Status)
    priorities = ",".join(PRIORITY_LABELS_JA[p] for p in Priority)
    validations = (
        sheet_kit.list_validation(
            labels,
            title=_("判定"),
            error=_("判定はプルダウンの値（%(labels)s）から選んでください", labels=labels),
            column=COL_STATUS,
            first=first,
            last=last,
        ),
        sheet_kit.amount_validation(
            title=_("費用"),
            error=_("費用は 0 以上の整数（円）で記入してください"),
            columns=(COL_INITIAL, COL_ANNUAL),
            first=first,
            last=last,
            maximum=None,
        ),
        sheet_kit.list_validation(
            priorities,
            title=_("優先度"),
            error=_("優先度はプルダウンの値（%(labels)s）から選んでください", labels=priorities),
            column=COL_PRIORITY,
            first=first,
            last=last,
        ),
    )
    sheet_kit.add_validations(sheet, LAYOUT, last, validations)


def build_marking_sheet(
    *,
    town_id: str,
    town_name: str,
    area_id: str,
    area_name: str,
    functions: Sequence[Function],
    marks: Mapping[str, MarkRow],
    generated_at: datetime,
) -> bytes:
    """A town's marking sheet for one area as an .xlsx file (format fitgap-marking-sheet/1).

    `marks` maps function ids to the current marks; a function without one is undecided.
    """
    workbook = Workbook()
    workbook.properties.creator = "fitgap"
    workbook.properties.title = _("判定シート")
    sheet = workbook.active
    sheet.title = _sheet_title(area_name)
    _write_title(
        sheet,
        _("町: %(name)s（%(id)s）", name=town_name, id=town_id),
        _("業務: %(name)s（%(id)s）", name=area_name, id=area_id),
        generated_at,
    )
    rows = [_row_values(f, marks.get(f.id, MarkRow())) for f in functions]
    _write_rows(sheet, functions, rows)
    if rows:
        _add_validations(sheet, HEADER_ROW + len(rows))
    sheet_kit.protect_and_lay_out(sheet, LAYOUT)
    meta_values = (
        MARKING_SHEET_FORMAT,
        town_id,
        area_id,
        sheet.title,
        HEADER_ROW,
        generated_at.isoformat(),
    )
    entries = (
        _meta_entry(HEADER_ROW + offset, f, marks.get(f.id, MarkRow()))
        for offset, f in enumerate(functions, start=1)
    )
    sheet_kit.write_meta(workbook, _META_KEYS, meta_values, _META_TABLE, entries)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """One row of the hidden metadata: which function a sheet row is, and its mark at download."""

    row: int
    function_id: str
    downloaded: MarkRow


def _read_meta(
    rows: list[tuple[object, ...]], display: str, town_id: str, area_id: str
) -> tuple[dict[str, object], dict[int, _Entry], list[Problem]]:
    def damaged(line: int, what: str) -> Problem:
        return Problem(
            f"{display}[{META_SHEET}]",
            line,
            _(
                "fitgap の管理情報（%(what)s）が壊れています。判定シートをダウンロードし直して"
                "ください",
                what=what,
            ),
        )

    values = sheet_kit.meta_values(rows, _META_KEYS)
    problems: list[Problem] = []
    if values.get("format") not in MARKING_SHEET_FORMATS:
        problems.append(
            Problem(
                display,
                0,
                _(
                    "判定シートの形式 %(found)s は読めません（%(expected)s が必要です）",
                    found=values.get("format"),
                    expected=MARKING_SHEET_FORMAT,
                ),
            )
        )
        return values, {}, problems
    if values.get("town") != town_id:
        problems.append(
            Problem(
                display,
                0,
                _(
                    "この判定シートは町 %(found)s のものです（町 %(town)s の判定としては"
                    "読み込めません）",
                    found=values.get("town"),
                    town=town_id,
                ),
            )
        )
    if values.get("area") != area_id:
        problems.append(
            Problem(
                display,
                0,
                _(
                    "この判定シートは業務 %(found)s のものです（業務 %(area)s の判定としては"
                    "読み込めません）",
                    found=values.get("area"),
                    area=area_id,
                ),
            )
        )
    header_row = sheet_kit.int_or_none(values.get("header_row"))
    if not isinstance(values.get("sheet"), str):
        problems.append(damaged(_META_KEYS.index("sheet") + 1, "sheet"))
    # Every number is checked against the sheet's limits before it bounds any loop.
    if header_row is None or not 1 <= header_row < MAX_SHEET_ROWS:
        problems.append(damaged(_META_KEYS.index("header_row") + 1, "header_row"))
        header_row = HEADER_ROW
    entries: dict[int, _Entry] = {}
    for number, cells in sheet_kit.meta_table(rows, _META_KEYS, _META_TABLE):
        sheet_row, version = sheet_kit.int_or_none(cells[0]), sheet_kit.int_or_none(cells[2])
        function_id, status, note = cells[1], cells[3], cells[4]
        initial, annual = sheet_kit.int_or_none(cells[5]), sheet_kit.int_or_none(cells[6])
        priority, as_is = cells[7], cells[8]
        if (
            sheet_row is None
            or not header_row < sheet_row <= MAX_SHEET_ROWS
            or version is None
            or not 0 <= version <= MAX_VERSION
            or not isinstance(function_id, str)
            or status not in {s.value for s in Status}
            or not (note is None or isinstance(note, str))
            or any(not (cost is None or 0 <= cost <= MAX_YEN) for cost in (initial, annual))
            or (cells[5] is not None and initial is None)
            or (cells[6] is not None and annual is None)
            or not (priority is None or priority in {p.value for p in Priority})
            or not (as_is is None or isinstance(as_is, str))
            or sheet_row in entries
        ):
            last = cell_ref(number, len(_META_TABLE))
            problems.append(damaged(number, f"{cell_ref(number, 1)}:{last}"))
            continue
        downloaded = MarkRow(
            Status(str(status)),
            note,
            version,
            initial,
            annual,
            Priority(str(priority)) if priority is not None else None,
            as_is,
        )
        entries[sheet_row] = _Entry(sheet_row, function_id, downloaded)
    return values, entries, problems


def _status(value: object) -> Status | None:
    if value is None:
        return Status.UNDECIDED
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    if not text:
        return Status.UNDECIDED
    return STATUS_SYNONYMS.get(text) or STATUS_SYNONYMS.get(text.lower())


def _read_row(
    cells: Sequence[object], number: int, entry: _Entry, *, with_priority: bool
) -> tuple[SheetRow | None, list[str]]:
    """The editable cells of one row fitgap wrote: status, note, cost and (format /2) priority
    and today's practice; or what is wrong."""
    messages: list[str] = []
    raw_status = cells[COL_STATUS - 1]
    status = _status(raw_status)
    if status is None:
        messages.append(
            _(
                "%(cell)s: 判定 %(value)s は使えません（%(labels)s）",
                cell=cell_ref(number, COL_STATUS),
                value=raw_status,
                labels=" / ".join(STATUS_LABELS_JA[s] for s in Status),
            )
        )
    costs: list[int | None] = []
    for column in (COL_INITIAL, COL_ANNUAL):
        amount, wrong = sheet_kit.amount(
            cells[column - 1], cell_ref(number, column), _(HEADERS[column - 1])
        )
        costs.append(amount)
        if wrong:
            messages.append(wrong)
    has_cost = any(sheet_kit.note(cells[c - 1]) for c in (COL_INITIAL, COL_ANNUAL))
    if status is not None and status is not Status.CUSTOMIZATION and has_cost:
        messages.append(
            _(
                "%(cell)s: 費用はカスタマイズの判定にだけ書けます（判定: %(status)s）",
                cell=cell_ref(number, COL_INITIAL),
                status=status_label(status),
            )
        )
    note = sheet_kit.note(cells[COL_NOTE - 1])
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        messages.append(
            _(
                "%(cell)s: 理由・運用メモが長すぎます（%(length)s 文字）。%(limit)s 文字以内に"
                "してください",
                cell=cell_ref(number, COL_NOTE),
                length=f"{len(note):,}",
                limit=f"{MAX_NOTE_LENGTH:,}",
            )
        )
    # A sheet of format /1 has neither column: what it had at download stays.
    priority, as_is = entry.downloaded.priority, entry.downloaded.as_is
    if with_priority:
        priority, wrong = _priority(cells[COL_PRIORITY - 1], cell_ref(number, COL_PRIORITY))
        if wrong:
            messages.append(wrong)
        as_is = sheet_kit.note(cells[COL_AS_IS - 1])
        if as_is is not None and len(as_is) > MAX_NOTE_LENGTH:
            messages.append(
                _(
                    "%(cell)s: 現行運用が長すぎます（%(length)s 文字）。%(limit)s 文字以内に"
                    "してください",
                    cell=cell_ref(number, COL_AS_IS),
                    length=f"{len(as_is):,}",
                    limit=f"{MAX_NOTE_LENGTH:,}",
                )
            )
    if messages or status is None:
        return None, messages
    row = SheetRow(
        function_id=entry.function_id,
        row=number,
        status=status,
        note=note,
        cost_initial_yen=costs[0],
        cost_annual_yen=costs[1],
        base_version=entry.downloaded.version,
        downloaded=entry.downloaded,
        priority=priority,
        as_is=as_is,
    )
    return row, []


def _priority(value: object, cell: str) -> tuple[Priority | None, str | None]:
    """(priority, problem message) of a priority cell; blank is None."""
    if value is None:
        return None, None
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    if not text:
        return None, None
    priority = PRIORITY_SYNONYMS.get(text) or PRIORITY_SYNONYMS.get(text.lower())
    if priority is None:
        labels = " / ".join(PRIORITY_LABELS_JA[p] for p in Priority)
        return None, _(
            "%(cell)s: 優先度 %(value)s は使えません（%(labels)s、または空欄）",
            cell=cell,
            value=value,
            labels=labels,
        )
    return priority, None


def _wrong_file(
    problems: list[Problem], values: Mapping[str, object], town_id: str, area_id: str
) -> WrongFile:
    """The hidden metadata's problems as what is wrong with the file, for a plain message."""
    if values.get("format") not in MARKING_SHEET_FORMATS:
        return WrongFile(problems, WrongFile.NOT_A_SHEET)
    town, area = values.get("town"), values.get("area")
    if town != town_id or area != area_id:
        return WrongFile(
            problems,
            WrongFile.OTHER,
            town=str(town) if town != town_id else None,
            area=str(area) if area != area_id else None,
        )
    return WrongFile(problems, WrongFile.DAMAGED)


def read_marking_sheet(
    source: Path | bytes,
    *,
    town_id: str,
    area_id: str,
    function_ids: Collection[str],
    display: str | None = None,
    function_names: Mapping[str, str] | None = None,
) -> SheetMarks:
    """Read an uploaded marking sheet for a town and area; raise InvalidInput with every problem
    (WrongFile when the file is not this town's sheet of this area at all).

    Only the status, note and cost cells of the rows fitgap wrote are read; `function_ids` are
    the area's current functions (`function_names` name them in problems). A changed row of a
    function no longer in it is a problem, and so is a changed row that makes a customization
    without a reason.
    """
    if display is None:
        display = source.name if isinstance(source, Path) else "upload.xlsx"
    try:
        workbook = open_workbook(source, display, read_only=True)
    except InvalidInput as error:
        raise WrongFile(error.problems, WrongFile.UNREADABLE) from None
    try:
        if META_SHEET not in workbook.sheetnames:
            message = _(
                "fitgap が出力した判定シートではありません（%(sheet)s シートがありません）。"
                "fitgap から判定シートをダウンロードしてください",
                sheet=META_SHEET,
            )
            raise WrongFile([Problem(display, 0, message)], WrongFile.NOT_A_SHEET)
        try:
            meta_rows = sheet_kit.read_values(
                workbook[META_SHEET], len(_META_TABLE), f"{display}[{META_SHEET}]"
            )
        except InvalidInput as error:
            raise WrongFile(error.problems, WrongFile.DAMAGED) from None
        values, entries, problems = _read_meta(meta_rows, display, town_id, area_id)
        title = values.get("sheet")
        if problems:
            raise _wrong_file(problems, values, town_id, area_id)
        if title not in workbook.sheetnames:
            message = _("シート %(sheet)s がありません", sheet=title)
            raise WrongFile([Problem(display, 0, message)], WrongFile.DAMAGED)
        sheet_rows = sheet_kit.read_values(
            workbook[str(title)], len(HEADERS), f"{display}[{title}]"
        )
    finally:
        workbook.close()
    header_row = sheet_kit.int_or_none(values["header_row"]) or HEADER_ROW  # checked by _read_meta
    with_priority = values.get("format") == MARKING_SHEET_FORMAT
    where = f"{display}[{title}]"
    known = set(function_ids)
    rows: list[SheetRow] = []
    seen: dict[str, str] = {}
    for number, cells, entry in sheet_kit.form_rows(
        LAYOUT, sheet_rows, entries, header_row=header_row, where=where, problems=problems
    ):
        id_cell = cell_ref(number, COL_ID)
        if entry.function_id in seen:
            problems.append(
                Problem(
                    where,
                    number,
                    _(
                        "%(cell)s: 機能ID %(id)s が二度あります（%(other)s にもあります）",
                        cell=id_cell,
                        id=entry.function_id,
                        other=seen[entry.function_id],
                    ),
                )
            )
            continue
        seen[entry.function_id] = id_cell
        row, messages = _read_row(cells, number, entry, with_priority=with_priority)
        problems.extend(Problem(where, number, m) for m in messages)
        if row is None:
            continue
        if entry.function_id not in known:
            if row.edited:
                problems.append(
                    Problem(
                        where,
                        number,
                        _(
                            "%(cell)s: 機能 %(id)s は現在のカタログにありません"
                            "（判定シートの出力後に削除されました）",
                            cell=id_cell,
                            id=entry.function_id,
                        ),
                    )
                )
            continue
        if row.edited and lacks_reason(row.status, row.note):
            name = (function_names or {}).get(entry.function_id)
            problems.append(
                Problem(
                    where,
                    number,
                    _(
                        "%(cell)s: %(function)s をカスタマイズにするときは、標準の機能で足りない"
                        "理由を「理由・運用メモ」に書いてください",
                        cell=cell_ref(number, COL_NOTE),
                        function=f"{entry.function_id} {name}" if name else entry.function_id,
                    ),
                )
            )
            continue
        rows.append(row)
    if problems:
        raise InvalidInput(problems)
    generated_at = None
    if isinstance(values.get("generated_at"), str):
        try:
            generated_at = datetime.fromisoformat(str(values["generated_at"]))
        except ValueError:
            generated_at = None
    return SheetMarks(
        town_id=town_id,
        area_id=area_id,
        rows=tuple(rows),
        generated_at=generated_at,
        source=display,
        has_priority=with_priority,
    )


def preview_changes(sheet: SheetMarks, current: Mapping[str, MarkRow]) -> list[MarkChangePreview]:
    """The marks an upload would change, in sheet order; rows not changed in the file, or changed
    to what the mark already is, give nothing. `current` maps function ids to the current marks.
    """
    previews: list[MarkChangePreview] = []
    for row in sheet.rows:
        if not row.edited:
            continue
        before = current.get(row.function_id, MarkRow())
        # Keep the current note as it is written when only its spacing differs.
        note = before.note if _note_key(before.note) == _note_key(row.note) else row.note
        as_is = before.as_is if _note_key(before.as_is) == _note_key(row.as_is) else row.as_is
        priority = row.priority
        if not sheet.has_priority:  # a sheet of format /1 leaves both as they are now
            priority, as_is = before.priority, before.as_is
        after = MarkRow(
            row.status,
            note,
            row.base_version,
            row.cost_initial_yen,
            row.cost_annual_yen,
            priority,
            as_is,
        )
        if after.same_verdict(before):
            continue
        previews.append(
            MarkChangePreview(
                function_id=row.function_id,
                row=row.row,
                before=before,
                after=after,
                conflict=before.version != row.base_version,
            )
        )
    return previews


@dataclass(frozen=True, slots=True)
class Resolution:
    """A person's answer to a conflict: the version of the current mark they saw, and whether
    the sheet's verdict replaces it (else the current mark stays as it is)."""

    seen_version: int
    take_sheet: bool


@dataclass(frozen=True, slots=True)
class ResolvedChanges:
    """A preview's changes once its conflicts are answered."""

    to_save: tuple[MarkChangePreview, ...]  # based on the versions the person saw
    kept: tuple[MarkChangePreview, ...]  # conflicts where the current mark stays
    unresolved: tuple[MarkChangePreview, ...]  # conflicts without an answer
    moved: tuple[MarkChangePreview, ...]  # conflicts whose mark changed again since the answer

    @property
    def refused(self) -> tuple[MarkChangePreview, ...]:
        """The conflicts that stop the whole upload."""
        return self.unresolved + self.moved


def resolve_conflicts(
    changes: Sequence[MarkChangePreview], resolutions: Mapping[str, Resolution]
) -> ResolvedChanges:
    """Answer each conflict with the person's choice (by function id). An answer counts only
    while the mark is still the version they saw: optimistic locking between the preview and
    the apply, so nobody overwrites, or keeps, a verdict they have not seen."""
    to_save: list[MarkChangePreview] = []
    kept: list[MarkChangePreview] = []
    unresolved: list[MarkChangePreview] = []
    moved: list[MarkChangePreview] = []
    for change in changes:
        if not change.conflict:
            to_save.append(change)
            continue
        answer = resolutions.get(change.function_id)
        if answer is None:
            unresolved.append(change)
        elif answer.seen_version != change.before.version:
            moved.append(change)
        elif answer.take_sheet:
            to_save.append(change.taking_sheet())
        else:
            kept.append(change)
    return ResolvedChanges(tuple(to_save), tuple(kept), tuple(unresolved), tuple(moved))


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One thing a change alters, as people read it: 判定, a cost, the reason, ..."""

    field: str  # status | note | cost_initial_yen | cost_annual_yen | priority | as_is
    label: str
    before: str
    after: str


def _yen_text(amount: int | None) -> str:
    return _("%(yen)s円", yen=f"{amount:,}") if amount is not None else _("（なし）")


def field_changes(change: MarkChangePreview) -> list[FieldChange]:
    """What a change alters, field by field, in the order of the sheet's columns (the web's
    preview and the command line show the same)."""
    before, after = change.before, change.after
    none = _("（なし）")
    found: list[FieldChange] = []
    if before.status is not after.status:
        was, becomes = status_label(before.status), status_label(after.status)
        found.append(FieldChange("status", _("判定"), was, becomes))
    if _note_key(before.note) != _note_key(after.note):
        found.append(
            FieldChange("note", _("理由・運用メモ"), before.note or none, after.note or none)
        )
    for key, label, old, new in (
        ("cost_initial_yen", _("初期費用"), before.cost_initial_yen, after.cost_initial_yen),
        ("cost_annual_yen", _("年間費用"), before.cost_annual_yen, after.cost_annual_yen),
    ):
        if old != new:
            found.append(FieldChange(key, label, _yen_text(old), _yen_text(new)))
    if before.priority is not after.priority:
        found.append(
            FieldChange(
                "priority",
                _("優先度"),
                priority_label(before.priority) or none,
                priority_label(after.priority) or none,
            )
        )
    if _note_key(before.as_is) != _note_key(after.as_is):
        found.append(FieldChange("as_is", _("現行運用"), before.as_is or none, after.as_is or none))
    return found
