"""What fitgap's Excel form sheets share: the town's marking sheet and the vendor's answer sheet.

Both are one protected sheet of rows under a header, where only a few yellow columns are
unlocked (some of them drop-downs), and a very hidden `_fitgap` sheet that says which function
each row is and what it held at download. Both read an upload the same way: every value of the
hidden sheet checked, only rows fitgap wrote, the id column untouched. So the cell writing, the
column widths, the validations, the hidden sheet and the reading of cells live here once; each
form keeps its own columns, its own checks of a row and its own messages.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fitgap.domain.files.cells import starts_formula
from fitgap.domain.files.xlsx_catalog import cell_ref
from fitgap.domain.files.yamlfile import InvalidInput, Problem
from fitgap.domain.i18n import _
from fitgap.domain.limits import MAX_INTEGER_DIGITS, MAX_SHEET_ROWS, MAX_YEN

__all__ = [
    "FONT_NAME",
    "LINE_HEIGHT",
    "META_SHEET",
    "FormLayout",
    "add_validations",
    "amount",
    "amount_validation",
    "display_width",
    "font",
    "form_rows",
    "id_rewritten",
    "id_text",
    "int_or_none",
    "list_validation",
    "meta_table",
    "meta_values",
    "note",
    "protect_and_lay_out",
    "put",
    "read_values",
    "title_font",
    "write_headers",
    "write_instructions",
    "write_meta",
    "write_rows",
]

META_SHEET = "_fitgap"
FONT_NAME = "Yu Gothic"
LINE_HEIGHT = 16.5  # points per line of 10 pt Yu Gothic
_SHIFTJIS_CHARSET = 128  # tells Excel the font is a Japanese one
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_AMOUNT = re.compile(r"-?\d+")


@dataclass(frozen=True, slots=True)
class FormLayout:
    """Where a form's columns are and how they look; the reader relies on it, never on the
    headers."""

    header_row: int
    headers: tuple[str, ...]  # marked with N_, translated when written
    widths: Mapping[int, tuple[int, int]]  # in Excel's units (about one half-width character)
    wrapped: tuple[int, ...]
    editable: tuple[int, ...]
    number_formats: Mapping[int, str]
    id_column: int = 1
    # A header that may wrap onto this many lines needs only that share of its width.
    header_lines: int = 1


# --- writing -----------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """The width of the longest line, counting full-width characters as two."""
    return max(
        (
            sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in line)
            for line in text.split("\n")
        ),
        default=0,
    )


def _lines(text: str, width: int) -> int:
    """How many lines a wrapped cell of `width` needs for `text`."""
    return sum(
        max(1, math.ceil(display_width(line) / max(width - 1, 1))) for line in text.split("\n")
    )


def put(sheet: Any, row: int, column: int, value: object) -> Any:
    """Write a value as data: formula-like text stays typed text (never a formula; kept as
    typed, for the round trip, rather than with cells.neutralise's apostrophe), and the
    control characters XML cannot hold are dropped."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = sheet.cell(row, column)
    cell.value = value if value != "" else None
    if isinstance(value, str) and starts_formula(value):
        cell.data_type = "s"
    return cell


def font(**options: Any) -> Font:
    """The forms' 10 pt Japanese font."""
    return Font(name=FONT_NAME, size=10, charset=_SHIFTJIS_CHARSET, **options)


def title_font() -> Font:
    """The font of a form's title."""
    return Font(name=FONT_NAME, size=14, charset=_SHIFTJIS_CHARSET, bold=True)


def write_instructions(sheet: Any, row: int, text: str, *, columns: int, lines: int) -> None:
    """The instructions above the header, across the form's columns."""
    instructions = put(sheet, row, 1, text)
    instructions.font = font()
    instructions.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    sheet.row_dimensions[row].height = LINE_HEIGHT * lines


def write_headers(sheet: Any, layout: FormLayout) -> None:
    """The header row, translated."""
    for column, label in enumerate(layout.headers, start=1):
        cell = put(sheet, layout.header_row, column, _(label))
        cell.font = font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
        cell.border = _BORDER
        cell.alignment = Alignment(vertical="center", horizontal="center", wrap_text=True)


def _set_widths(sheet: Any, layout: FormLayout, rows: Sequence[Sequence[object]]) -> dict[int, int]:
    widths: dict[int, int] = {}
    for column, label in enumerate(layout.headers, start=1):
        low, high = layout.widths[column]
        longest = max((display_width(str(r[column - 1] or "")) for r in rows), default=0)
        header = display_width(_(label)) // layout.header_lines
        widths[column] = min(max(header + 2, longest + 2, low), high)
        sheet.column_dimensions[get_column_letter(column)].width = widths[column]
    return widths


def write_rows(sheet: Any, layout: FormLayout, rows: Sequence[Sequence[object]]) -> None:
    """The rows under the header (values in header order), the columns fitted to them, and the
    editable cells unlocked and yellow."""
    widths = _set_widths(sheet, layout, rows)
    editable_fill = PatternFill("solid", fgColor="FFF8DC")
    unlocked = Protection(locked=False)
    plain = font()
    for offset, values in enumerate(rows, start=1):
        row = layout.header_row + offset
        lines = 1
        for column, value in enumerate(values, start=1):
            cell = put(sheet, row, column, value)
            cell.font = plain
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=column in layout.wrapped)
            if column in layout.wrapped and isinstance(value, str) and value:
                lines = max(lines, _lines(value, widths[column]))
            if column in layout.number_formats:
                cell.number_format = layout.number_formats[column]
            if column in layout.editable:
                cell.protection = unlocked
                cell.fill = editable_fill
        # Excel does not grow rows for wrapped text it did not lay out itself.
        sheet.row_dimensions[row].height = min(409, LINE_HEIGHT * lines)


def list_validation(
    labels: str, *, title: str, error: str, column: int, first: int, last: int
) -> DataValidation:
    """A drop-down of `labels` (comma-separated) over one column's rows."""
    validation = DataValidation(
        type="list",
        formula1=f'"{labels}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title,
        error=error,
    )
    letter = get_column_letter(column)
    validation.add(f"{letter}{first}:{letter}{last}")
    return validation


def amount_validation(
    *, title: str, error: str, columns: tuple[int, int], first: int, last: int, maximum: int | None
) -> DataValidation:
    """Whole yen from 0 (up to `maximum` if given) over a block of columns' rows."""
    bounds: dict[str, str] = {"operator": "greaterThanOrEqual", "formula1": "0"}
    if maximum is not None:
        bounds = {"operator": "between", "formula1": "0", "formula2": str(maximum)}
    validation = DataValidation(
        type="whole",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title,
        error=error,
        **bounds,
    )
    left, right = (get_column_letter(c) for c in columns)
    validation.add(f"{left}{first}:{right}{last}")
    return validation


def add_validations(
    sheet: Any, layout: FormLayout, last: int, validations: Iterable[DataValidation]
) -> None:
    """The validations, and the filter over the header and the rows up to `last`."""
    for validation in validations:
        sheet.add_data_validation(validation)
    sheet.auto_filter.ref = f"A{layout.header_row}:{get_column_letter(len(layout.headers))}{last}"


def protect_and_lay_out(sheet: Any, layout: FormLayout, *, a3: bool = False) -> None:
    """Protect a form sheet (only its unlocked cells stay editable), freeze its header and id
    column, and print it landscape, fitted to the width, with the header on every page."""
    header_row = layout.header_row
    sheet.freeze_panes = sheet.cell(header_row + 1, layout.id_column + 1)
    protection = sheet.protection
    protection.sheet = True
    # Resizing and filtering help reading; sorting or inserting rows would break the rows'
    # link to the hidden metadata, so they stay locked.
    protection.formatColumns = False
    protection.formatRows = False
    protection.autoFilter = False
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A3 if a3 else sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def write_meta(
    workbook: Any,
    keys: Sequence[str],
    values: Sequence[object],
    table: Sequence[str],
    entries: Iterable[Sequence[object]],
) -> None:
    """The very hidden sheet the upload trusts: `keys` with their `values`, then after a blank
    row the table's column names and one entry per form row."""
    meta = workbook.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"
    for row, (key, value) in enumerate(zip(keys, values, strict=True), start=1):
        put(meta, row, 1, key)
        put(meta, row, 2, value)
    start = len(keys) + 2
    for column, key in enumerate(table, start=1):
        put(meta, start, column, key)
    for offset, entry in enumerate(entries, start=1):
        for column, value in enumerate(entry, start=1):
            put(meta, start + offset, column, value)
    meta.protection.sheet = True


# --- reading -----------------------------------------------------------------------------------


def int_or_none(value: object) -> int | None:
    """A whole number as a cell gives it (an int, or a float without fraction); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def id_text(value: object) -> str:
    """An id cell as text (a number Excel made of it loses its ".0")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def note(value: object) -> str | None:
    """A text cell with its line ends made plain and outer blanks dropped; blank is None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def amount(value: object, cell: str, column: str) -> tuple[int | None, str | None]:
    """(yen, problem message) of a cost cell; blank is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    number: int | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            return None, _(
                "%(cell)s: %(column)s は円単位の整数で記入してください", cell=cell, column=column
            )
        number = int(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value)
        text = re.sub(r"[\s,円¥\\]", "", text)
        if _AMOUNT.fullmatch(text):
            if len(text.lstrip("-").lstrip("0")) > MAX_INTEGER_DIGITS:
                return None, _too_much(cell, column)
            number = int(text)
    if number is None:
        return None, _(
            "%(cell)s: %(column)s %(value)s は数値ではありません",
            cell=cell,
            column=column,
            value=value,
        )
    if number < 0:
        return None, _("%(cell)s: %(column)s は 0 以上にしてください", cell=cell, column=column)
    if number > MAX_YEN:
        return None, _too_much(cell, column)
    return number, None


def _too_much(cell: str, column: str) -> str:
    return _(
        "%(cell)s: %(column)s は %(limit)s 円以下にしてください",
        cell=cell,
        column=column,
        limit=f"{MAX_YEN:,}",
    )


def read_values(sheet: Any, columns: int, where: str) -> list[tuple[object, ...]]:
    """The first `columns` values of every row from row 1; the stored size of the sheet is not
    trusted (xlsx_guard has checked the real one against the limits)."""
    sheet.reset_dimensions()
    rows: list[tuple[object, ...]] = []
    try:
        for row in sheet.iter_rows(max_col=columns, values_only=True):
            rows.append(tuple(row))
            if len(rows) > MAX_SHEET_ROWS:  # xlsx_guard refuses such sheets; never loop on
                break
    except ValueError:  # a number openpyxl cannot read, e.g. of 5,000 digits
        number = len(rows) + 1
        message = _(
            "%(row)s 行目に読めない数値のセルがあります（桁数が多すぎるなど）",
            row=number,
        )
        raise InvalidInput([Problem(where, number, message)]) from None
    return rows


def meta_values(rows: Sequence[tuple[object, ...]], keys: Sequence[str]) -> dict[str, object]:
    """The hidden sheet's key/value rows (unchecked)."""
    values: dict[str, object] = {}
    for row in rows[: len(keys)]:
        if len(row) >= 2 and isinstance(row[0], str):
            values[row[0]] = row[1]
    return values


def meta_table(
    rows: Sequence[tuple[object, ...]], keys: Sequence[str], table: Sequence[str]
) -> Iterator[tuple[int, list[object]]]:
    """The hidden sheet's table entries, as (line, cells padded to the table's width); empty
    lines are skipped."""
    start = len(keys) + 2
    for number, row in enumerate(rows[start:], start=start + 1):
        cells = list(row) + [None] * (len(table) - len(row))
        if all(c is None for c in cells):
            continue
        yield number, cells


class RowEntry(Protocol):
    """What the hidden sheet says of a form row: at least which function it is."""

    @property
    def function_id(self) -> str:
        """The function of the row."""
        ...


E = TypeVar("E", bound=RowEntry)


def id_rewritten(cell: str, expected: str, found: str) -> str:
    """The message for a row whose id is not the one fitgap wrote there."""
    return _(
        "%(cell)s: 機能ID が書き換えられています（%(expected)s のはずが %(found)s）。"
        "機能ID の列は変更できません",
        cell=cell,
        expected=expected,
        found=found or "-",
    )


def form_rows(
    layout: FormLayout,
    rows: Sequence[tuple[object, ...]],
    entries: Mapping[int, E],
    *,
    header_row: int,
    where: str,
    problems: list[Problem],
) -> Iterator[tuple[int, list[object], E]]:
    """The form's rows that fitgap wrote below `header_row` (the hidden sheet's), as (row
    number, cells padded to the headers, entry), with the id cell as written. A filled row
    fitgap did not write, or a rewritten id, is added to `problems` instead."""
    width = len(layout.headers)
    last = max(len(rows), max(entries, default=0))
    for number in range(header_row + 1, last + 1):
        raw = rows[number - 1] if number <= len(rows) else ()
        cells = list(raw) + [None] * (width - len(raw))
        entry = entries.get(number)
        id_cell = cell_ref(number, layout.id_column)
        if entry is None:
            if any(note(cells[c - 1]) for c in (layout.id_column, *layout.editable)):
                message = _(
                    "%(cell)s: fitgap が出力した行ではありません（行は追加できません）",
                    cell=id_cell,
                )
                problems.append(Problem(where, number, message))
            continue
        found_id = id_text(cells[layout.id_column - 1])
        if found_id != entry.function_id:
            problems.append(
                Problem(where, number, id_rewritten(id_cell, entry.function_id, found_id))
            )
            continue
        yield number, cells, entry
