"""The official function lists (機能・帳票要件, Excel) → a catalog area → a catalog YAML file.

The layout of the lists varies between areas and editions, so the columns are found from the
header row by their Japanese names (or named by the caller), and everything Excel does to such
a list is undone: headings merged over many rows or left blank under a heading are carried down,
ids that Excel turned into numbers get their leading zeros back (with a warning), empty rows
are skipped. What cannot be read is reported with its sheet and cell, all at once.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from fitgap.domain.files.catalog import CATALOG_FORMAT
from fitgap.domain.files.xlsx_guard import check_xlsx
from fitgap.domain.files.yamlfile import (
    ID_PATTERN,
    STR_TAG,
    InvalidInput,
    Problem,
    read_input_file,
)
from fitgap.domain.i18n import N_, _
from fitgap.domain.limits import MAX_XLSX_FILE_BYTES
from fitgap.domain.values import REQUIREMENT_SYNONYMS, Area, Function, Requirement

__all__ = [
    "COLUMN_KEYS",
    "HEADER_SCAN_ROWS",
    "HEADER_SYNONYMS",
    "STANDARD_ID_WIDTH",
    "ImportedArea",
    "InvalidInput",
    "Problem",
    "cell_ref",
    "normalize_header",
    "open_workbook",
    "read_function_list",
    "to_catalog_yaml",
]

# The logical columns of a function list, in the order they are claimed from the header row.
COLUMN_KEYS = ("id", "class", "text", "name", "heading1", "heading2", "heading3", "note", "forms")
HEADING_KEYS = ("heading1", "heading2", "heading3")
REQUIRED_KEYS = ("id", "text", "class")
# Accepted as another name of a key in `columns` overrides.
COLUMN_ALIASES = {"requirement": "class"}

# Header names as found in the official lists (after normalize_header), best match first.
# A column is claimed by the first key (in COLUMN_KEYS order) that names it, so 帳票ID is the id
# of a form list but the related forms of a function list that also has a 機能ID column.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("機能ID", "機能要件ID", "要件ID", "機能番号", "要件番号", "ID", "帳票ID"),
    "class": ("実装区分", "機能区分", "要件区分", "区分", "実装要否"),
    "text": (
        "機能要件",
        "要件",
        "要件の内容",
        "要件内容",
        "機能要件の内容",
        "機能の説明",
        "機能説明",
        "帳票要件",
        "説明",
    ),
    "name": ("機能名称", "機能名", "要件名", "要件名称", "帳票名称", "帳票名"),
    "heading1": ("大項目", "大分類", "機能分類", "分類"),
    "heading2": ("中項目", "中分類"),
    "heading3": ("小項目", "小分類"),
    "note": ("備考", "補足", "留意事項", "補足事項", "備考欄"),
    "forms": ("帳票ID", "関連帳票ID", "関連帳票", "帳票番号"),
}

COLUMN_LABELS: dict[str, str] = {
    "id": N_("機能ID"),
    "class": N_("実装区分"),
    "text": N_("機能要件"),
    "name": N_("機能名称"),
    "heading1": N_("大項目"),
    "heading2": N_("中項目"),
    "heading3": N_("小項目"),
    "note": N_("備考"),
    "forms": N_("帳票ID"),
}

HEADER_SCAN_ROWS = 15
STANDARD_ID_WIDTH = 7  # function and form ids of the standard specifications: 0230265
_MIN_HEADER_KEYS = 3  # the id and two more recognised columns make a header row

_COLUMN_LETTERS = re.compile(r"[A-Za-z]{1,3}")
_HEADER_NOISE = re.compile(r"※\d*|[(（][^)）]*[)）]$|[*＊:：]$")
_FORM_SEPARATORS = re.compile(r"[\s,、，;；/／]+")


@dataclass(frozen=True, slots=True)
class ImportedArea:
    """A function list read from Excel: the area, what was corrected on the way, and where."""

    area: Area
    warnings: tuple[Problem, ...]
    sheet: str
    header_row: int
    columns: dict[str, str]  # logical key -> column letter, as detected or overridden


def normalize_header(value: object) -> str:
    """A header cell's text for matching: NFKC, no spaces or line breaks, no ※ or (notes)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(text.split())
    return _HEADER_NOISE.sub("", text).upper()


_NORMALIZED_SYNONYMS = {
    key: tuple(normalize_header(name) for name in names) for key, names in HEADER_SYNONYMS.items()
}


def cell_ref(row: int, column: int) -> str:
    """The A1-style name of a cell."""
    return f"{get_column_letter(column)}{row}"


def open_workbook(source: Path | bytes, display: str, *, read_only: bool) -> Any:
    """An openpyxl workbook (cached values, not formulas); raise InvalidInput if unreadable or
    beyond domain.limits (checked by xlsx_guard before openpyxl parses anything)."""
    if isinstance(source, Path) and source.suffix.lower() == ".xls":
        message = _("古い .xls 形式は読めません。Excel で .xlsx 形式に保存し直してください")
        raise InvalidInput([Problem(display, 0, message)])
    data = (
        read_input_file(source, display, MAX_XLSX_FILE_BYTES)
        if isinstance(source, Path)
        else source
    )
    check_xlsx(data, display)
    try:
        with warnings.catch_warnings():
            # Excel's extensions (slicers, x14 validations, ...) are dropped with a UserWarning;
            # they do not matter for reading values.
            warnings.simplefilter("ignore")
            return load_workbook(BytesIO(data), read_only=read_only, data_only=True)
    except (
        OSError,
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        ValueError,  # also defusedxml's refusals of entities and DTDs
        TypeError,
        SyntaxError,  # malformed XML (ElementTree's ParseError)
    ) as error:
        message = _(
            "Excel ファイル（.xlsx）として読めません: %(error)s",
            error=str(error)[:300] or type(error).__name__,
        )
    raise InvalidInput([Problem(display, 0, message)])


def _clean_text(value: object, *, join_lines: bool = False) -> str:
    """A cell's text: line breaks as \\n, no trailing spaces on lines, no blank lines around."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    if join_lines:
        # Names and headings break only because the column is narrow: join without a space.
        return "".join(line.strip() for line in lines)
    return "\n".join(lines).strip("\n").rstrip()


@dataclass
class _Sheet:
    """One worksheet's cell values with merged ranges resolved to their top-left value."""

    worksheet: Any
    merged: dict[tuple[int, int], object]

    @classmethod
    def of(cls, worksheet: Any) -> _Sheet:
        merged: dict[tuple[int, int], object] = {}
        for cell_range in worksheet.merged_cells.ranges:
            value = worksheet.cell(cell_range.min_row, cell_range.min_col).value
            for row in range(cell_range.min_row, cell_range.max_row + 1):
                for column in range(cell_range.min_col, cell_range.max_col + 1):
                    merged[(row, column)] = value
        return cls(worksheet, merged)

    def value(self, row: int, column: int) -> object:
        if (row, column) in self.merged:
            return self.merged[(row, column)]
        return self.worksheet.cell(row, column).value

    def own_value(self, row: int, column: int) -> object:
        """The value written in this very cell (None inside a merge, except its top-left)."""
        return self.worksheet.cell(row, column).value

    @property
    def max_row(self) -> int:
        return int(self.worksheet.max_row)

    @property
    def max_column(self) -> int:
        return int(self.worksheet.max_column)


def _header_keys(sheet: _Sheet, row: int, overrides: Mapping[str, str]) -> dict[str, int]:
    """The logical columns a row names, each claimed once, best synonym first."""
    texts = {
        column: normalize_header(sheet.value(row, column))
        for column in range(1, sheet.max_column + 1)
    }
    taken: set[int] = set()
    found: dict[str, int] = {}
    for key, value in overrides.items():
        column = _override_column(value, texts)
        if column is not None:
            found[key] = column
            taken.add(column)
    for key in COLUMN_KEYS:
        if key in found:
            continue
        for wanted in _NORMALIZED_SYNONYMS[key]:
            columns = [c for c, t in texts.items() if t == wanted and c not in taken]
            if columns:
                found[key] = columns[0]
                taken.add(columns[0])
                break
    return found


def _override_column(value: str, texts: Mapping[int, str]) -> int | None:
    """A column named by header text (preferred) or by letter."""
    wanted = normalize_header(value)
    for column, text in texts.items():
        if wanted and text == wanted:
            return column
    if _COLUMN_LETTERS.fullmatch(value.strip()):
        return int(column_index_from_string(value.strip().upper()))
    return None


def _find_header(sheet: _Sheet, overrides: Mapping[str, str]) -> tuple[int, dict[str, int]] | None:
    best: tuple[int, int, dict[str, int]] | None = None
    for row in range(1, min(HEADER_SCAN_ROWS, sheet.max_row) + 1):
        found = _header_keys(sheet, row, overrides)
        # A column named by letter counts only where this row has a header cell for it.
        score = sum(1 for column in found.values() if _is_header_text(sheet, row, column))
        if "id" not in found or score < _MIN_HEADER_KEYS:
            continue
        if best is None or score > best[0]:
            best = (score, row, found)
    return (best[1], best[2]) if best is not None else None


def _is_header_text(sheet: _Sheet, row: int, column: int) -> bool:
    return bool(normalize_header(sheet.value(row, column)))


def _check_overrides(
    columns: Mapping[str, str] | None, display: str, problems: list[Problem]
) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for raw_key, value in (columns or {}).items():
        key = COLUMN_ALIASES.get(raw_key, raw_key)
        if key not in COLUMN_KEYS:
            problems.append(
                Problem(
                    display,
                    0,
                    _(
                        "列の指定 %(key)s は使えません（使えるもの: %(allowed)s）",
                        key=raw_key,
                        allowed=", ".join(COLUMN_KEYS),
                    ),
                )
            )
        else:
            overrides[key] = value
    return overrides


def _sheet_names(workbook: Any) -> str:
    return ", ".join(str(name) for name in workbook.sheetnames)


def _locate(
    workbook: Any,
    display: str,
    sheet_name: str | None,
    overrides: Mapping[str, str],
    header_row: int | None,
) -> tuple[str, _Sheet, int, dict[str, int]]:
    """The sheet, header row and column of each logical key."""
    if sheet_name is not None and sheet_name not in workbook.sheetnames:
        message = _(
            "シート %(sheet)s がありません（あるシート: %(sheets)s）",
            sheet=sheet_name,
            sheets=_sheet_names(workbook),
        )
        raise InvalidInput([Problem(display, 0, message)])
    names = [sheet_name] if sheet_name is not None else [str(n) for n in workbook.sheetnames]
    for name in names:
        worksheet = workbook[name]
        if not hasattr(worksheet, "merged_cells"):  # a chart sheet
            continue
        sheet = _Sheet.of(worksheet)
        if header_row is not None:
            return name, sheet, header_row, _header_keys(sheet, header_row, overrides)
        located = _find_header(sheet, overrides)
        if located is not None:
            return name, sheet, *located
    where = display if sheet_name is None else f"{display}[{sheet_name}]"
    message = _(
        "最初の %(rows)s 行に 機能ID・機能要件・実装区分 などの列見出しがある行が見つかりません"
        "（シート: %(sheets)s）。見出し行の番号か列を指定してください",
        rows=HEADER_SCAN_ROWS,
        sheets=", ".join(names),
    )
    raise InvalidInput([Problem(where, 0, message)])


@dataclass
class _Row:
    number: int
    values: dict[str, object]  # logical key -> value (merges resolved)
    own: dict[str, object]  # logical key -> the cell's own value


def _rows(sheet: _Sheet, header_row: int, columns: Mapping[str, int]) -> Iterator[_Row]:
    header_id = normalize_header(sheet.value(header_row, columns["id"]))
    for number in range(header_row + 1, sheet.max_row + 1):
        values = {key: sheet.value(number, column) for key, column in columns.items()}
        if all(_clean_text(v) == "" for v in values.values()):
            continue
        if header_id and normalize_header(values["id"]) == header_id:
            continue  # the header repeated (printed lists repeat it on every page)
        own = {key: sheet.own_value(number, column) for key, column in columns.items()}
        yield _Row(number, values, own)


def _id_width(rows: list[_Row]) -> int:
    """The usual length of the ids written as text: the width to restore numeric ids to."""
    lengths = Counter(
        len(_clean_text(row.values["id"]))
        for row in rows
        if isinstance(row.values["id"], str) and _clean_text(row.values["id"])
    )
    return lengths.most_common(1)[0][0] if lengths else STANDARD_ID_WIDTH


@dataclass
class _Padded:
    """Ids (or form ids) that Excel stored as numbers, for one summary warning."""

    count: int = 0
    first: tuple[int, str] | None = None  # row, cell
    example: tuple[str, str] | None = None


def _read_id(
    value: object, width: int, padded: _Padded, row: int, cell: str, what: str = N_("機能ID")
) -> tuple[str | None, str | None]:
    """(id, problem message) of an id cell; a number gets its leading zeros back."""
    unreadable = isinstance(value, bool | datetime | date | time) or (
        isinstance(value, float) and not value.is_integer()
    )
    if unreadable:
        return None, _(
            "%(cell)s: %(what)s %(value)s を読めません", cell=cell, what=_(what), value=value
        )
    if isinstance(value, int | float):
        text = str(int(value)).zfill(width)
        padded.count += 1
        if padded.first is None:
            padded.first = (row, cell)
            padded.example = (str(int(value)), text)
        return text, None
    text = unicodedata.normalize("NFKC", _clean_text(value))
    if any(c.isspace() for c in text):
        return None, _("%(cell)s: 機能ID %(value)s に空白が含まれています", cell=cell, value=text)
    return text, None


def _read_requirement(value: object, cell: str) -> tuple[Requirement | None, str | None]:
    text = "".join(unicodedata.normalize("NFKC", _clean_text(value)).split())
    if not text:
        return None, _("%(cell)s: 実装区分が空です", cell=cell)
    requirement = REQUIREMENT_SYNONYMS.get(text) or REQUIREMENT_SYNONYMS.get(text.lower())
    if requirement is None:
        return None, _(
            "%(cell)s: 実装区分 %(value)s は使えません（実装必須機能 / 標準オプション機能 / "
            "実装不可機能、または 実装すべき機能 / 実装してもしなくても良い機能 / 実装しない機能）",
            cell=cell,
            value=_clean_text(value),
        )
    return requirement, None


def _read_forms(
    value: object, width: int, padded: _Padded, row: int, cell: str
) -> tuple[list[str], str | None]:
    """(form ids, problem message) of a related-forms cell: one number, or ids separated by
    line breaks, spaces, commas or 、."""
    if value is None or isinstance(value, str):
        text = unicodedata.normalize("NFKC", _clean_text(value))
        return [form for form in _FORM_SEPARATORS.split(text) if form], None
    form, message = _read_id(value, width, padded, row, cell, N_("帳票ID"))
    return ([form] if form else []), message


def _pad_warning(padded: _Padded, width: int, where: str, what: str) -> Problem | None:
    if padded.first is None or padded.example is None:
        return None
    row, cell = padded.first
    before, after = padded.example
    return Problem(
        where,
        row,
        _(
            "%(count)s 個の%(what)s（最初は %(cell)s）が数値として保存されていたため、"
            "先頭に0を補って %(width)s 桁の文字列にしました（例: %(before)s → %(after)s）",
            count=padded.count,
            what=what,
            cell=cell,
            width=width,
            before=before,
            after=after,
        ),
    )


class _Headings:
    """Carries headings down: a blank heading takes the one above, unless a higher one changed."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.current: list[str] = ["" for _key in keys]

    def update(self, row: _Row) -> tuple[str, ...]:
        changed = False
        for level, key in enumerate(self.keys):
            value = _clean_text(row.values.get(key), join_lines=True)
            if value:
                changed = changed or value != self.current[level]
                self.current[level] = value
            elif changed:
                self.current[level] = ""
        return tuple(h for h in self.current if h)


def _column_problems(
    overrides: Mapping[str, str], found: Mapping[str, int], where: str, header: int
) -> list[Problem]:
    """Columns named by the caller but not found, and required columns missing."""
    problems = [
        Problem(
            where,
            header,
            _(
                "列の指定 %(key)s=%(value)s: %(row)s 行目にその列見出しがなく、"
                "列記号でもありません",
                key=key,
                value=value,
                row=header,
            ),
        )
        for key, value in overrides.items()
        if key not in found
    ]
    missing = [k for k in REQUIRED_KEYS if k not in found]
    if missing:
        found_columns = ", ".join(
            f"{_(COLUMN_LABELS[k])}={get_column_letter(c)}" for k, c in found.items()
        )
        problems.append(
            Problem(
                where,
                header,
                _(
                    "%(row)s 行目を見出し行としましたが、%(columns)s の列がありません"
                    "（見つかった列: %(found)s）",
                    row=header,
                    columns=", ".join(_(COLUMN_LABELS[k]) for k in missing),
                    found=found_columns or "-",
                ),
            )
        )
    return problems


def _read_functions(
    table: _Sheet, header: int, found: Mapping[str, int], where: str, area_id: str
) -> tuple[list[Function], list[Problem], list[Problem]]:
    """The functions of the rows under the header: (functions, problems, warnings)."""
    rows = list(_rows(table, header, found))
    width = _id_width(rows)
    id_padded, form_padded = _Padded(), _Padded()
    headings = _Headings([k for k in HEADING_KEYS if k in found])
    functions: list[Function] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}

    def cell(row: _Row, key: str) -> str:
        return cell_ref(row.number, found[key])

    for row in rows:
        path = headings.update(row)
        raw_id = row.own["id"]
        if _clean_text(raw_id) == "":
            # A heading row (or a note under the table) unless it carries a function's content.
            if _clean_text(row.own.get("text")) or _clean_text(row.own.get("class")):
                message = _("%(cell)s: 機能ID が空です", cell=cell(row, "id"))
                problems.append(Problem(where, row.number, message))
            continue
        messages: list[str] = []
        function_id, id_message = _read_id(raw_id, width, id_padded, row.number, cell(row, "id"))
        requirement, class_message = _read_requirement(row.values["class"], cell(row, "class"))
        messages.extend(m for m in (id_message, class_message) if m)
        text = _clean_text(row.values["text"])
        if not text:
            messages.append(_("%(cell)s: 機能要件が空です", cell=cell(row, "text")))
        name = _clean_text(row.values.get("name"), join_lines=True)
        if not name:
            name = path[-1] if path else text.split("\n")[0][:60]
        note = _clean_text(row.values.get("note")) or None
        forms: list[str] = []
        if "forms" in found:
            forms, forms_message = _read_forms(
                row.values["forms"], width, form_padded, row.number, cell(row, "forms")
            )
            messages.extend(m for m in (forms_message,) if m)
        if function_id is not None and function_id in seen:
            messages.append(
                _(
                    "%(cell)s: 機能ID %(id)s が重複しています（%(other)s にもあります）",
                    cell=cell(row, "id"),
                    id=function_id,
                    other=seen[function_id],
                )
            )
        elif function_id is not None:
            seen[function_id] = cell(row, "id")
        problems.extend(Problem(where, row.number, m) for m in messages)
        if messages or function_id is None or requirement is None:
            continue
        functions.append(
            Function(
                id=function_id,
                area_id=area_id,
                name=name,
                requirement=requirement,
                # As in hand-written catalogs (`text: |`), the text ends with a line break.
                text=text + "\n",
                path=path,
                note=note + "\n" if note and "\n" in note else note,
                forms=tuple(forms),
                line=row.number,
            )
        )
    warnings_ = [
        warning
        for padded, what in ((id_padded, _("機能ID")), (form_padded, _("帳票ID")))
        if (warning := _pad_warning(padded, width, where, what)) is not None
    ]
    if "name" not in found:
        message = _(
            "機能名称の列がないため、機能名称には最も下の見出し"
            "（見出しがなければ機能要件の1行目）を使いました"
        )
        warnings_.append(Problem(where, header, message))
    return functions, problems, warnings_


def read_function_list(
    path: Path,
    *,
    area_id: str,
    area_name: str | None = None,
    sheet: str | None = None,
    columns: Mapping[str, str] | None = None,
    header_row: int | None = None,
    display: str | None = None,
) -> ImportedArea:
    """Read a function list (機能・帳票要件) from an .xlsx file as one catalog area.

    `columns` maps logical keys (COLUMN_KEYS; "requirement" also names "class") to a column
    letter or header text and wins over detection; `header_row` skips the header search.
    The area's name defaults to the file's stem. Raise InvalidInput with every problem.
    """
    display = display if display is not None else str(path)
    problems: list[Problem] = []
    if not ID_PATTERN.fullmatch(area_id):
        problems.append(
            Problem(
                display,
                0,
                _(
                    "%(key)s %(value)s には半角の英小文字・数字・ハイフン"
                    "（a-z 0-9 -）だけが使えます",
                    key="area",
                    value=area_id,
                ),
            )
        )
    overrides = _check_overrides(columns, display, problems)
    if problems:
        raise InvalidInput(problems)
    # Not read-only: merged ranges are only known to a fully loaded worksheet.
    workbook = open_workbook(path, display, read_only=False)
    sheet_name, table, header, found = _locate(workbook, display, sheet, overrides, header_row)
    where = f"{display}[{sheet_name}]"
    problems = _column_problems(overrides, found, where, header)
    if problems:
        raise InvalidInput(problems)
    functions, problems, warnings_ = _read_functions(table, header, found, where, area_id)
    if not functions and not problems:
        problems.append(Problem(where, header, _("機能の行が一つもありません")))
    if problems:
        raise InvalidInput(problems)
    area = Area(id=area_id, name=area_name or path.stem, functions=tuple(functions), source=display)
    return ImportedArea(
        area=area,
        warnings=tuple(warnings_),
        sheet=sheet_name,
        header_row=header,
        columns={key: get_column_letter(column) for key, column in found.items()},
    )


# --- writing the catalog file ----------------------------------------------------------------


class _Quoted(str):
    """An id: always written in double quotes, so no YAML reader takes it for a number."""

    __slots__ = ()


class _Flow(list[Any]):
    """A short list written on one line: [管理項目, 住民データ]."""


class _CatalogDumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar(STR_TAG, value, style="|" if "\n" in value else None)


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.Node:
    return dumper.represent_scalar(STR_TAG, str(value), style='"')


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_CatalogDumper.add_representer(str, _represent_text)
_CatalogDumper.add_representer(_Quoted, _represent_quoted)
_CatalogDumper.add_representer(_Flow, _represent_flow)


def to_catalog_yaml(
    area: Area, *, spec_title: str | None = None, spec_version: str | None = None
) -> str:
    """The area as a catalog file (fitgap-catalog/1): ids quoted, text as | blocks.

    `spec_title` and `spec_version` default to the area's own.
    """
    head: dict[str, Any] = {"id": area.id, "name": area.name}
    if area.name_en:
        head["name_en"] = area.name_en
    document: dict[str, Any] = {"format": CATALOG_FORMAT, "area": head}
    title = spec_title if spec_title is not None else area.spec_title
    version = spec_version if spec_version is not None else area.spec_version
    if title or version:
        document["spec"] = {
            key: value for key, value in (("title", title), ("version", version)) if value
        }
    items: list[dict[str, Any]] = []
    for function in area.functions:
        item: dict[str, Any] = {"id": _Quoted(function.id)}
        if function.path:
            item["path"] = _Flow(function.path)
        item["name"] = function.name
        item["requirement"] = function.requirement.value
        item["text"] = function.text
        if function.note is not None:
            item["note"] = function.note
        if function.forms:
            item["forms"] = _Flow(_Quoted(form) for form in function.forms)
        item.update(function.extra)
        items.append(item)
    document["functions"] = items
    text = yaml.dump(
        document, Dumper=_CatalogDumper, allow_unicode=True, sort_keys=False, width=1000
    )
    # A blank line between functions, as in the hand-written catalogs.
    lines = text.split("\n")
    out: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("  - id: ") and index > 0 and not lines[index - 1].startswith("funct"):
            out.append("")
        out.append(line)
    return "\n".join(out)
