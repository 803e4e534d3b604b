"""The consultant's fit-gap matrix (Fit&Gap表): one row per function, every town's verdict beside
the others, its divergence, its risk, the latest decision and the vendor's answer.

Built area by area so that a whole project (20 areas × 1,000 functions × 30 towns) is written
with flat memory: `build_area` turns one area's functions, marks and decisions into typed rows
and its summary lines; `MatrixWorkbook` streams those into an XLSX (openpyxl's write-only mode:
each sheet goes to a temporary file as it is written), and `area_csv` writes one area as CSV.
Every cell goes through fitgap.domain.files.cells. Pure Python: no Flask, no database.

Who the matrix is for (`Audience`) decides which of the towns' notes it carries: the project's
people get every note and today's practice (現行運用); the vendor gets a town's note only where
that town asks for a customization (the request's reason, which its request list shows too),
and no 現行運用 column, and each sheet's printed header says so.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from fitgap.domain.files.cells import neutralise
from fitgap.domain.files.sheet_kit import display_width
from fitgap.domain.group.table import ScenarioTable
from fitgap.domain.i18n import _
from fitgap.domain.labels import (
    divergence_label,
    outcome_label,
    priority_label,
    requirement_label,
    status_label,
)
from fitgap.domain.marking import tidy_note
from fitgap.domain.meetings.minutes import sheet_title
from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.risk.scores import StatusCounts, round_risk
from fitgap.domain.values import Function, Mark, Outcome, Priority, Status, Town
from fitgap.domain.wareki import XLSX_WAREKI_FORMAT, wareki

__all__ = [
    "AreaMatrix",
    "Audience",
    "Column",
    "LatestDecision",
    "MatrixWorkbook",
    "SummaryLine",
    "area_csv",
    "build_area",
    "matrix_columns",
    "summary_header",
]

FONT_NAME = "Yu Gothic"
FONT_SIZE = 10
_SHIFTJIS_CHARSET = 128  # tells Excel the font is a Japanese one
# Excel's 和暦 date format (LibreOffice reads it too): 令和7年4月1日, the cell stays a date.
WAREKI_FORMAT = XLSX_WAREKI_FORMAT
YEN_FORMAT = "#,##0"
RISK_FORMAT = "0.0"
LINE_HEIGHT = 14.0  # points per line of 10 pt Yu Gothic
# A row grows with its longest wrapped text up to this many lines (Excel's limit is 409 pt); a
# longer note is still all in the cell, and shows in full when the row is opened up.
MAX_ROW_LINES = 24

# Fills of the verdict cells: light enough for black text at 4.5:1 and more; the cell also
# carries the verdict's word, so nothing depends on the colour alone.
STATUS_FILLS: dict[Status, str] = {
    Status.FIT: "E2EFDA",
    Status.WORKFLOW_CHANGE: "DDEBF7",
    Status.CUSTOMIZATION: "FCE4D6",
    Status.NOT_APPLICABLE: "EDEDED",
    Status.UNDECIDED: "FFF2CC",
}


class Audience(StrEnum):
    """Who a matrix is for, which decides the notes it carries."""

    PROJECT = "project"  # the towns, the consultant, the operator: every note, 現行運用
    VENDOR = "vendor"  # a town's note only on its customization (the request's reason)

    def note(self) -> str | None:
        """What the sheets' printed header says about the notes left out (None: nothing)."""
        if self is Audience.VENDOR:
            return _("ベンダー向け：カスタマイズの理由のみ記載")
        return None


class Kind(StrEnum):
    """How a column's values are typed and shown."""

    ID = "id"  # text that looks like a number: kept as text, leading zeros and all
    TEXT = "text"
    LONG = "long"  # wrapped text (notes, today's practice, the vendor's answer)
    STATUS = "status"  # a Status: worded and coloured
    PRIORITY = "priority"  # a Priority or None
    YEN = "yen"  # an int or None
    COUNT = "count"  # an int
    RISK = "risk"  # a float 0–100
    DATE = "date"  # a date, shown in 和暦


_NUMBER_FORMATS: dict[Kind, str] = {
    Kind.ID: "@",
    Kind.YEN: YEN_FORMAT,
    Kind.COUNT: YEN_FORMAT,
    Kind.RISK: RISK_FORMAT,
    Kind.DATE: WAREKI_FORMAT,
}


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an area sheet: its header and how its values are typed."""

    header: str
    kind: Kind
    width: int


@dataclass(frozen=True, slots=True)
class LatestDecision:
    """The decision in force on a function: which meeting, when, and what it decided."""

    meeting: str
    held_on: date
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One line of the summary sheet: a town (or, with town_id None, all towns) in one area."""

    area_id: str
    area_name: str
    town_id: str | None
    town_name: str
    functions: int
    counts: StatusCounts
    violations: int
    divergent: int | None  # functions the towns decided differently (all towns' line only)
    risk: float


@dataclass(frozen=True, slots=True)
class AreaMatrix:
    """One area's matrix: its rows (typed values, in `columns` order) and summary lines."""

    area_id: str
    area_name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    summary: tuple[SummaryLine, ...]


def matrix_columns(
    towns: Sequence[Town], audience: Audience = Audience.PROJECT
) -> tuple[Column, ...]:
    """The columns of every area sheet: the function, each town's six (the vendor's: five, its
    reason only on a customization and no 現行運用), then the group's."""
    columns = [
        Column(_("機能ID"), Kind.ID, 10),
        Column(_("大項目"), Kind.TEXT, 14),
        Column(_("中項目"), Kind.TEXT, 14),
        Column(_("小項目"), Kind.TEXT, 14),
        Column(_("機能名称"), Kind.LONG, 30),
        Column(_("区分"), Kind.TEXT, 18),
    ]
    for town in towns:
        name = town.name
        columns += [
            Column(_("%(town)s 判定", town=name), Kind.STATUS, 12),
            Column(_("%(town)s 優先度", town=name), Kind.PRIORITY, 10),
        ]
        if audience is Audience.VENDOR:
            columns.append(Column(_("%(town)s カスタマイズの理由", town=name), Kind.LONG, 26))
        else:
            columns += [
                Column(_("%(town)s 理由", town=name), Kind.LONG, 26),
                Column(_("%(town)s 現行運用", town=name), Kind.LONG, 20),
            ]
        columns += [
            Column(_("%(town)s 初期費用（円）", town=name), Kind.YEN, 12),
            Column(_("%(town)s 年額費用（円）", town=name), Kind.YEN, 12),
        ]
    columns += [
        Column(_("相違の種類"), Kind.TEXT, 22),
        Column(_("リスク（0〜100）"), Kind.RISK, 10),
        Column(_("決定した会議"), Kind.TEXT, 20),
        Column(_("決定日"), Kind.DATE, 16),
        Column(_("決定内容"), Kind.TEXT, 22),
        Column(_("ベンダー回答"), Kind.LONG, 30),
    ]
    return tuple(columns)


def _headings(function: Function) -> tuple[str, str, str]:
    # 大/中/小項目; a fourth heading level stays with the third, as Excel lists print it.
    path = list(function.path)
    third = " › ".join(path[2:])
    return (path[0] if path else "", path[1] if len(path) > 1 else "", third)


def build_area(
    *,
    area_id: str,
    area_name: str,
    functions: Sequence[Function],
    towns: Sequence[Town],
    marks: Sequence[Mark],
    decisions: Mapping[str, LatestDecision],
    vendor_answers: Mapping[str, str],
    audience: Audience = Audience.PROJECT,
) -> AreaMatrix:
    """One area's rows and summary lines, scored on the area's own marks (an area's scores
    depend on nothing outside it, so this equals the whole project's board on that area).
    For the vendor a town's note is kept only on its customization, 現行運用 not at all."""
    columns = matrix_columns(towns, audience)
    for_vendor = audience is Audience.VENDOR
    board = galapagos_risk(functions, towns, marks)
    rows: list[tuple[object, ...]] = []
    for function in functions:
        score = board.function_score(function.id)
        row: list[object] = [function.id, *_headings(function), function.name]
        row.append(requirement_label(function.requirement))
        for town in towns:
            mark = board.mark(town.id, function.id)
            status = mark.status if mark is not None else Status.UNDECIDED
            cost = mark.cost if mark is not None and status is Status.CUSTOMIZATION else None
            note = (tidy_note(mark.note) or "") if mark is not None else ""
            row += [status, mark.priority if mark is not None else None]
            if for_vendor:
                row.append(note if status is Status.CUSTOMIZATION else "")
            else:
                row += [note, (tidy_note(mark.as_is) or "") if mark is not None else ""]
            row += [
                cost.initial_yen if cost is not None else None,
                cost.annual_yen if cost is not None else None,
            ]
        decision = decisions.get(function.id)
        row += [
            divergence_label(score.divergence.kind),
            round_risk(score.risk),
            decision.meeting if decision else "",
            decision.held_on if decision else None,
            outcome_label(decision.outcome) if decision else "",
            vendor_answers.get(function.id, ""),
        ]
        rows.append(tuple(row))
    summary: list[SummaryLine] = []
    if functions:
        group = board.area_score(area_id, breakdown=False)
        summary.append(
            SummaryLine(
                area_id,
                area_name,
                None,
                # Its counts are of (town, function) cells: say so beside the town lines.
                _("全町（%(n)s町の合計）", n=len(towns)),
                len(functions),
                group.counts,
                group.violations,
                board.divergent_count(area_id),
                round_risk(group.risk),
            )
        )
        for town_score in board.town_scores(area_id, breakdown=False):
            summary.append(
                SummaryLine(
                    area_id,
                    area_name,
                    town_score.id,
                    town_score.name,
                    len(functions),
                    town_score.counts,
                    town_score.violations,
                    None,
                    round_risk(town_score.risk),
                )
            )
    return AreaMatrix(area_id, area_name, columns, tuple(rows), tuple(summary))


def summary_header() -> list[str]:
    """The columns of the summary sheet."""
    return [
        _("業務ID"),
        _("業務"),
        _("町"),
        _("機能数"),
        status_label(Status.FIT),
        status_label(Status.WORKFLOW_CHANGE),
        status_label(Status.CUSTOMIZATION),
        status_label(Status.NOT_APPLICABLE),
        status_label(Status.UNDECIDED),
        _("実装不可機能のカスタマイズ（違反）"),
        _("町の間で判定が分かれる機能"),
        _("リスク（0〜100）"),
    ]


def _summary_values(line: SummaryLine) -> list[object]:
    counts = line.counts
    return [
        line.area_id,
        line.area_name,
        line.town_name,
        line.functions,
        counts.fit,
        counts.workflow_change,
        counts.customization,
        counts.not_applicable,
        counts.undecided,
        line.violations,
        line.divergent,
        line.risk,
    ]


def _text_of(kind: Kind, value: object) -> object:
    """A value as a CSV cell: verdicts and priorities worded, dates in 和暦, numbers as numbers."""
    if value is None:
        return ""
    if kind is Kind.STATUS:
        return status_label(Status(str(value)))
    if kind is Kind.PRIORITY:
        return priority_label(Priority(str(value)))
    if kind is Kind.DATE and isinstance(value, date):
        return wareki(value)
    if kind is Kind.RISK and isinstance(value, float):
        return f"{value:.1f}"
    return value


def row_lines(values: Sequence[object], widths: Sequence[int], wrapped: Sequence[bool]) -> int:
    """How many lines the row's wrapped cells need at their column widths (at most
    MAX_ROW_LINES): a row of one-line cells is 1."""
    lines = 1
    for value, width, wraps in zip(values, widths, wrapped, strict=True):
        if not wraps or not isinstance(value, str) or not value:
            continue
        needed = sum(
            max(1, math.ceil(display_width(line) / max(width - 1, 1)))
            for line in value.rstrip("\n").split("\n")
        )
        lines = max(lines, needed)
    return min(lines, MAX_ROW_LINES)


def area_csv(area: AreaMatrix) -> bytes:
    """One area's matrix as CSV for Japanese Excel: UTF-8 with BOM, CRLF, no live formulas."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(column.header) for column in area.columns])
    kinds = [column.kind for column in area.columns]
    for row in area.rows:
        writer.writerow(
            [neutralise(_text_of(kind, value)) for kind, value in zip(kinds, row, strict=True)]
        )
    return buffer.getvalue().encode("utf-8-sig")


class MatrixWorkbook:
    """The matrix as an XLSX written sheet by sheet: a summary first, then one sheet per area.

    Write-only: each sheet streams into a temporary file as rows are added, so memory holds
    one area at a time. Add every area, then `save` (which also writes the summary)."""

    def __init__(self, towns: Sequence[Town], audience: Audience = Audience.PROJECT) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill

        self._workbook = Workbook(write_only=True)
        self._towns = tuple(towns)
        self._header_note = audience.note()
        self._taken: set[str] = set()
        self._summary_lines: list[SummaryLine] = []
        self._font = Font(name=FONT_NAME, size=FONT_SIZE, charset=_SHIFTJIS_CHARSET)
        self._bold = Font(name=FONT_NAME, size=FONT_SIZE, charset=_SHIFTJIS_CHARSET, bold=True)
        self._wrap = Alignment(wrap_text=True, vertical="top")
        self._top = Alignment(vertical="top")
        self._header_fill = PatternFill("solid", fgColor="D9D9D9")
        self._fills = {s: PatternFill("solid", fgColor=c) for s, c in STATUS_FILLS.items()}
        self._styles: dict[tuple[Kind, Status | None, bool], Any] = {}
        self._status_labels = {status: status_label(status) for status in Status}
        self._priority_labels = {priority: priority_label(priority) for priority in Priority}
        # The summary comes first in the workbook; its rows are written at the end.
        self._summary = self._workbook.create_sheet(sheet_title(_("集計"), self._taken))

    def _style(self, kind: Kind, status: Status | None, header: bool) -> Any:
        """The style (openpyxl's StyleArray) of a kind of cell, made once per workbook: setting
        font, fill and format on every cell costs more than writing it."""
        key = (kind, status, header)
        style = self._styles.get(key)
        if style is None:
            from openpyxl.cell import WriteOnlyCell

            template = WriteOnlyCell(self._summary)
            template.font = self._bold if header else self._font
            if header:
                template.fill = self._header_fill
                template.alignment = self._wrap
            else:
                template.alignment = self._wrap if kind is Kind.LONG else self._top
                if status is not None:
                    template.fill = self._fills[status]
                number_format = _NUMBER_FORMATS.get(kind)
                if number_format is not None:
                    template.number_format = number_format
            style = self._styles[key] = template._style
        return style

    def _cell(self, sheet: Any, value: object, kind: Kind, *, header: bool = False) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        status = None
        if isinstance(value, Status):
            status = value
            value = self._status_labels[value]
        elif isinstance(value, Priority):
            value = self._priority_labels[value]
        elif isinstance(value, str):
            # The control characters a workbook cannot hold go first: what is left must not
            # start a formula either.
            value = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
        if value is None or value == "":
            # An empty cell is not written at all (most of a big matrix is empty).
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell._style = copy(self._style(kind, status, header))
        return cell

    def _lay_out(self, sheet: Any, widths: Sequence[int], rows: int, *, freeze: str) -> None:
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.properties import PageSetupProperties
        from openpyxl.worksheet.worksheet import Worksheet

        # Widths and the frozen panes go before the first row (the sheet view is written first).
        for number, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = width
        sheet.freeze_panes = freeze
        last = get_column_letter(max(len(widths), 1))
        sheet.auto_filter.ref = f"A1:{last}{max(rows, 1) + 1}"
        sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A3
        sheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        sheet.print_title_rows = "1:1"
        sheet.print_options.gridLines = True
        if self._header_note is not None:
            # Printed at the top of every page: whoever reads the paper knows notes are missing.
            sheet.oddHeader.center.text = self._header_note

    @staticmethod
    def _append(sheet: Any, number: int, cells: list[Any], lines: int) -> None:
        # A row's height goes out with the row; dropped right after, so memory stays flat.
        if lines > 1:
            sheet.row_dimensions[number].height = lines * LINE_HEIGHT
        sheet.append(cells)
        sheet.row_dimensions.pop(number, None)

    def add_area(self, area: AreaMatrix) -> None:
        """Write one area's sheet (and keep its summary lines for the summary sheet)."""
        sheet = self._workbook.create_sheet(
            sheet_title(f"{area.area_name}（{area.area_id}）", self._taken)
        )
        self._lay_out(sheet, [column.width for column in area.columns], len(area.rows), freeze="B2")
        sheet.print_title_cols = "A:A"
        widths = [column.width for column in area.columns]
        headers = [column.header for column in area.columns]
        self._append(
            sheet,
            1,
            [self._cell(sheet, h, Kind.TEXT, header=True) for h in headers],
            row_lines(headers, widths, [True] * len(widths)),
        )
        kinds = [column.kind for column in area.columns]
        wrapped = [kind is Kind.LONG for kind in kinds]
        for number, row in enumerate(area.rows, start=2):
            cells = [self._cell(sheet, value, kind) for kind, value in zip(kinds, row, strict=True)]
            self._append(sheet, number, cells, row_lines(row, widths, wrapped))
        self._summary_lines.extend(area.summary)

    def add_scenario(self, table: ScenarioTable) -> None:
        """Write a saved scenario's table (参加団体の検討) as a sheet of its own: typed yen and
        risk, the same fonts, header and print setup as the other sheets."""
        sheet = self._workbook.create_sheet(sheet_title(table.title, self._taken))
        widths = [24, 18, 16, 12]
        rows = table.values()
        self._lay_out(sheet, widths, len(rows), freeze="B2")
        header = table.header()
        self._append(
            sheet,
            1,
            [self._cell(sheet, h, Kind.TEXT, header=True) for h in header],
            row_lines(header, widths, [True] * len(widths)),
        )
        kinds = [Kind.TEXT, Kind.YEN, Kind.YEN, Kind.RISK]
        for values in rows:
            sheet.append(
                [self._cell(sheet, value, kind) for kind, value in zip(kinds, values, strict=True)]
            )

    def save(self, target: str | Path | IO[bytes]) -> None:
        """Write the summary sheet and the workbook to a path or a binary file."""
        header = summary_header()
        kinds = [Kind.ID, Kind.TEXT, Kind.TEXT] + [Kind.COUNT] * 8 + [Kind.RISK]
        sheet = self._summary
        widths = [12, 18, 22, 8, 8, 10, 12, 8, 8, 14, 14, 10]
        self._lay_out(sheet, widths, len(self._summary_lines), freeze="D2")
        self._append(
            sheet,
            1,
            [self._cell(sheet, h, Kind.TEXT, header=True) for h in header],
            row_lines(header, widths, [True] * len(widths)),
        )
        for line in self._summary_lines:
            values = _summary_values(line)
            sheet.append(
                [self._cell(sheet, value, kind) for kind, value in zip(kinds, values, strict=True)]
            )
        self._workbook.save(target)
