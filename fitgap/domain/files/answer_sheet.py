"""The vendor's answer sheet: the open customization requests as an Excel file, and back.

Built like the towns' marking sheet (fitgap.domain.files.marking_sheet) and read with the same
safety: the file goes through xlsx_guard before openpyxl parses it, only the answer cells are
unlocked, the answer kind is a drop-down, and a very hidden `_fitgap` sheet says which function
each row is and which answer (by id) the vendor saw at download. On upload nothing else is
trusted; every row is checked and either every changed answer is stored or none. A row whose
function got another answer since the download is a conflict.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fitgap.domain.files.marking_sheet import (
    _BORDER,
    _LINE_HEIGHT,
    _SHIFTJIS_CHARSET,
    FONT_NAME,
    _amount,
    _font,
    _id_text,
    _int_or_none,
    _lines,
    _note,
    _put,
    _values,
    display_width,
    protect_and_lay_out,
)
from fitgap.domain.files.xlsx_catalog import cell_ref, open_workbook
from fitgap.domain.files.yamlfile import InvalidInput, Problem
from fitgap.domain.i18n import N_, _
from fitgap.domain.labels import ANSWER_KIND_LABELS_JA
from fitgap.domain.limits import MAX_SHEET_ROWS, MAX_VERSION, MAX_YEN
from fitgap.domain.values import AnswerKind, Cost
from fitgap.domain.vendor import (
    CustomizationRequest,
    VendorAnswer,
    answer_problems,
    parse_kind,
)
from fitgap.domain.wareki import japan_stamp

__all__ = [
    "ANSWER_SHEET_FORMAT",
    "AnswerChange",
    "AnswerRow",
    "build_answer_sheet",
    "preview_answers",
    "read_answer_sheet",
]

ANSWER_SHEET_FORMAT = "fitgap-answer-sheet/1"
META_SHEET = "_fitgap"

HEADER_ROW = 6
COL_ID, COL_AREA, COL_PATH, COL_NAME, COL_TOWNS, COL_REASONS = 1, 2, 3, 4, 5, 6
COL_KIND, COL_DETAIL, COL_TEXT, COL_INITIAL, COL_ANNUAL, COL_DATE = 7, 8, 9, 10, 11, 12
HEADERS = (
    N_("機能ID"),
    N_("業務"),
    N_("項目"),
    N_("機能名称"),
    N_("要望している町"),
    N_("町の理由"),
    N_("回答"),
    N_("回答の内容（画面・設定・運用・影響・理由）"),
    N_("補足"),
    N_("初期費用見積り（円）"),
    N_("年間費用見積り（円）"),
    N_("回答日"),
)
EDITABLE_COLUMNS = (COL_KIND, COL_DETAIL, COL_TEXT, COL_INITIAL, COL_ANNUAL, COL_DATE)
_WIDTHS = {
    COL_ID: (10, 10),
    COL_AREA: (8, 14),
    COL_PATH: (12, 24),
    COL_NAME: (14, 28),
    COL_TOWNS: (10, 16),
    COL_REASONS: (30, 50),
    COL_KIND: (18, 18),
    COL_DETAIL: (36, 36),
    COL_TEXT: (30, 30),
    COL_INITIAL: (14, 14),
    COL_ANNUAL: (14, 14),
    COL_DATE: (12, 12),
}
_WRAPPED = (COL_PATH, COL_NAME, COL_TOWNS, COL_REASONS, COL_DETAIL, COL_TEXT)
_META_KEYS = ("format", "sheet", "header_row", "generated_at")
_META_TABLE = ("row", "function", "answer", "kind", "detail", "text", "initial", "annual")


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One row of an uploaded answer sheet that changes the answer on its function."""

    row: int
    answer: VendorAnswer  # without id and author: what the upload would store
    seen_answer_id: int  # the answer shown at download (0: none)


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """What an upload would store on one function, before anything is written."""

    row: int
    before: VendorAnswer | None  # the current answer
    after: VendorAnswer
    conflict: bool  # another answer came in since the download

    @property
    def function_id(self) -> str:
        """The function answered."""
        return self.after.function_id

    @property
    def expected_id(self) -> int:
        """The answer the upload supersedes (0: none); checked again when storing."""
        return self.before.id if self.before is not None and not self.conflict else 0


# --- writing -----------------------------------------------------------------------------------


def _kind_cell(answer: VendorAnswer | None) -> str | None:
    return ANSWER_KIND_LABELS_JA[answer.kind] if answer is not None else None


def _row_values(request: CustomizationRequest, area_name: str) -> list[object]:
    answer = request.answer
    reasons = "\n".join(
        f"{town.town_name}: {' '.join((town.note or '-').split())}" for town in request.towns
    )
    return [
        request.function_id,
        area_name,
        " › ".join(request.path),
        request.function_name,
        "、".join(town.town_name for town in request.towns),
        reasons,
        _kind_cell(answer),
        answer.detail if answer else None,
        answer.text if answer else None,
        answer.cost.initial_yen if answer and answer.cost else None,
        answer.cost.annual_yen if answer and answer.cost else None,
        answer.answered_on if answer else None,
    ]


def _write_head(sheet: Any, generated_at: datetime) -> None:
    stamp = japan_stamp(generated_at)
    title = _put(sheet, 1, 1, _("カスタマイズ要望への回答シート"))
    title.font = Font(name=FONT_NAME, size=14, charset=_SHIFTJIS_CHARSET, bold=True)
    _put(sheet, 2, 1, _("出力日時: %(when)s", when=stamp)).font = _font()
    kinds = " / ".join(ANSWER_KIND_LABELS_JA[k] for k in AnswerKind)
    note = _put(
        sheet,
        3,
        1,
        _(
            "黄色の列だけを記入してください。回答はプルダウン（%(kinds)s）から選び、回答の内容に"
            "は、標準機能ならどの画面・機能か、設定ならどのパラメータか、運用ならどの手順か、"
            "カスタマイズならバージョンアップへの影響、対応不可ならその理由を書きます。見積りは"
            "カスタマイズが必要な場合だけ、円単位の整数で記入します。回答日が空欄なら取り込んだ日"
            "になります。アップロードすると確認画面が出て、すべての行に問題がない場合だけまとめて"
            "反映されます。",
            kinds=kinds,
        ),
    )
    note.font = _font()
    note.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=len(HEADERS))
    sheet.row_dimensions[3].height = _LINE_HEIGHT * 4
    for column, label in enumerate(HEADERS, start=1):
        cell = _put(sheet, HEADER_ROW, column, _(label))
        cell.font = _font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
        cell.border = _BORDER
        cell.alignment = Alignment(vertical="center", horizontal="center", wrap_text=True)


def _write_rows(sheet: Any, rows: list[list[object]]) -> None:
    widths: dict[int, int] = {}
    for column, label in enumerate(HEADERS, start=1):
        low, high = _WIDTHS[column]
        longest = max((display_width(str(r[column - 1] or "")) for r in rows), default=0)
        widths[column] = min(max(display_width(_(label)) // 2 + 2, longest + 2, low), high)
        sheet.column_dimensions[get_column_letter(column)].width = widths[column]
    editable = PatternFill("solid", fgColor="FFF8DC")
    unlocked = Protection(locked=False)
    font = _font()
    for offset, values in enumerate(rows, start=1):
        row = HEADER_ROW + offset
        lines = 1
        for column, value in enumerate(values, start=1):
            cell = _put(sheet, row, column, value)
            cell.font = font
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=column in _WRAPPED)
            if column in _WRAPPED and isinstance(value, str) and value:
                lines = max(lines, _lines(value, widths[column]))
            if column == COL_ID:
                cell.number_format = "@"
            elif column in (COL_INITIAL, COL_ANNUAL):
                cell.number_format = "#,##0"
            elif column == COL_DATE:
                cell.number_format = "yyyy-mm-dd"
            if column in EDITABLE_COLUMNS:
                cell.protection = unlocked
                cell.fill = editable
        sheet.row_dimensions[row].height = min(409, _LINE_HEIGHT * lines)


def _add_validations(sheet: Any, last: int) -> None:
    first = HEADER_ROW + 1
    labels = ",".join(ANSWER_KIND_LABELS_JA[k] for k in AnswerKind)
    kinds = DataValidation(
        type="list",
        formula1=f'"{labels}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("回答"),
        error=_("回答はプルダウンの値（%(labels)s）から選んでください", labels=labels),
    )
    column = get_column_letter(COL_KIND)
    kinds.add(f"{column}{first}:{column}{last}")
    amounts = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2=str(MAX_YEN),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("見積り"),
        error=_("見積りは 0 以上の整数（円）で記入してください"),
    )
    amounts.add(f"{get_column_letter(COL_INITIAL)}{first}:{get_column_letter(COL_ANNUAL)}{last}")
    sheet.add_data_validation(kinds)
    sheet.add_data_validation(amounts)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(HEADERS))}{last}"


def _write_meta(
    workbook: Any, title: str, requests: Sequence[CustomizationRequest], generated_at: datetime
) -> None:
    meta = workbook.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"
    values = (ANSWER_SHEET_FORMAT, title, HEADER_ROW, generated_at.isoformat())
    for row, (key, value) in enumerate(zip(_META_KEYS, values, strict=True), start=1):
        _put(meta, row, 1, key)
        _put(meta, row, 2, value)
    table = len(_META_KEYS) + 2
    for column, key in enumerate(_META_TABLE, start=1):
        _put(meta, table, column, key)
    for offset, request in enumerate(requests, start=1):
        answer = request.answer
        entry = (
            HEADER_ROW + offset,
            request.function_id,
            answer.id if answer else 0,
            answer.kind.value if answer else None,
            answer.detail if answer else None,
            answer.text if answer else None,
            answer.cost.initial_yen if answer and answer.cost else None,
            answer.cost.annual_yen if answer and answer.cost else None,
        )
        for column, value in enumerate(entry, start=1):
            _put(meta, table + offset, column, value)
    meta.protection.sheet = True


def build_answer_sheet(
    *,
    requests: Sequence[CustomizationRequest],
    area_names: Mapping[str, str],
    generated_at: datetime,
) -> bytes:
    """The open customization requests as the vendor's answer sheet (fitgap-answer-sheet/1)."""
    workbook = Workbook()
    workbook.properties.creator = "fitgap"
    workbook.properties.title = _("回答シート")
    sheet = workbook.active
    sheet.title = _("回答")
    _write_head(sheet, generated_at)
    rows = [_row_values(r, area_names.get(r.area_id, r.area_id)) for r in requests]
    _write_rows(sheet, rows)
    if rows:
        _add_validations(sheet, HEADER_ROW + len(rows))
    protect_and_lay_out(sheet, header_row=HEADER_ROW, id_column=COL_ID, a3=True)
    _write_meta(workbook, sheet.title, requests, generated_at)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the hidden sheet says of one row: its function and the answer shown at download."""

    function_id: str
    answer_id: int
    kind: str | None
    detail: str | None
    text: str | None
    initial: int | None
    annual: int | None


def _read_meta(
    rows: list[tuple[object, ...]], display: str
) -> tuple[dict[str, object], dict[int, _Seen], list[Problem]]:
    def damaged(line: int) -> Problem:
        return Problem(
            f"{display}[{META_SHEET}]",
            line,
            _("fitgap の管理情報が壊れています。回答シートをダウンロードし直してください"),
        )

    values: dict[str, object] = {}
    for row in rows[: len(_META_KEYS)]:
        if len(row) >= 2 and isinstance(row[0], str):
            values[row[0]] = row[1]
    if values.get("format") != ANSWER_SHEET_FORMAT:
        message = _(
            "回答シートの形式 %(found)s は読めません（%(expected)s が必要です）",
            found=values.get("format"),
            expected=ANSWER_SHEET_FORMAT,
        )
        return values, {}, [Problem(display, 0, message)]
    problems: list[Problem] = []
    header_row = _int_or_none(values.get("header_row"))
    if header_row is None or not 1 <= header_row < MAX_SHEET_ROWS:
        problems.append(damaged(_META_KEYS.index("header_row") + 1))
        header_row = HEADER_ROW
    if not isinstance(values.get("sheet"), str):
        problems.append(damaged(_META_KEYS.index("sheet") + 1))
    seen: dict[int, _Seen] = {}
    table = len(_META_KEYS) + 2
    for number, row in enumerate(rows[table:], start=table + 1):
        cells = list(row) + [None] * (len(_META_TABLE) - len(row))
        if all(c is None for c in cells):
            continue
        sheet_row, answer_id = _int_or_none(cells[0]), _int_or_none(cells[2])
        function_id, kind, detail, text = cells[1], cells[3], cells[4], cells[5]
        initial, annual = _int_or_none(cells[6]), _int_or_none(cells[7])
        if (
            sheet_row is None
            or not header_row < sheet_row <= MAX_SHEET_ROWS
            or answer_id is None
            or not 0 <= answer_id <= MAX_VERSION
            or not isinstance(function_id, str)
            or not (kind is None or kind in {k.value for k in AnswerKind})
            or not all(v is None or isinstance(v, str) for v in (detail, text))
            or any(c is not None and not 0 <= c <= MAX_YEN for c in (initial, annual))
            or sheet_row in seen
        ):
            problems.append(damaged(number))
            continue
        seen[sheet_row] = _Seen(
            function_id,
            answer_id,
            None if kind is None else str(kind),
            None if detail is None else str(detail),
            None if text is None else str(text),
            initial,
            annual,
        )
    return values, seen, problems


def _date(value: object, cell: str, today: date) -> tuple[date | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return today, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    try:
        return date.fromisoformat(str(value).strip().replace("/", "-")), None
    except ValueError:
        return None, _(
            "%(cell)s: 回答日 %(value)s は日付ではありません（例: 2025-04-01）",
            cell=cell,
            value=value,
        )


def _same(seen: _Seen, kind: AnswerKind, detail: str | None, text: str | None, cost: Any) -> bool:
    """Whether the row still says what it said at download (the date aside)."""
    initial, annual = (cost.initial_yen, cost.annual_yen) if cost is not None else (None, None)
    return (
        seen.kind == kind.value
        and _note(seen.detail) == detail
        and _note(seen.text) == text
        and (seen.initial, seen.annual) == (initial, annual)
    )


def _read_row(
    cells: Sequence[object], number: int, seen: _Seen, today: date
) -> tuple[AnswerRow | None, list[str]]:
    raw_kind = cells[COL_KIND - 1]
    detail, text = _note(cells[COL_DETAIL - 1]), _note(cells[COL_TEXT - 1])
    filled = any(_note(cells[c - 1]) for c in EDITABLE_COLUMNS if c != COL_DATE)
    if _note(raw_kind) is None:
        if seen.kind is not None:
            message = _(
                "%(cell)s: 回答は取り消せません。新しい回答を選んでください",
                cell=cell_ref(number, COL_KIND),
            )
            return None, [message]
        if filled:
            message = _(
                "%(cell)s: 回答（%(labels)s）を選んでください",
                cell=cell_ref(number, COL_KIND),
                labels=" / ".join(ANSWER_KIND_LABELS_JA[k] for k in AnswerKind),
            )
            return None, [message]
        return None, []  # not answered, as at download
    kind = parse_kind(raw_kind)
    if kind is None:
        message = _(
            "%(cell)s: 回答 %(value)s は使えません（%(labels)s）",
            cell=cell_ref(number, COL_KIND),
            value=raw_kind,
            labels=" / ".join(ANSWER_KIND_LABELS_JA[k] for k in AnswerKind),
        )
        return None, [message]
    messages: list[str] = []
    amounts: list[int | None] = []
    for column in (COL_INITIAL, COL_ANNUAL):
        amount, wrong = _amount(cells[column - 1], cell_ref(number, column), _(HEADERS[column - 1]))
        amounts.append(amount)
        if wrong:
            messages.append(wrong)
    answered_on, wrong_date = _date(cells[COL_DATE - 1], cell_ref(number, COL_DATE), today)
    if wrong_date:
        messages.append(wrong_date)
    if messages:
        return None, messages
    cost = None
    if amounts[0] is not None or amounts[1] is not None:
        cost = Cost.of(amounts[0], amounts[1])
        if kind is AnswerKind.CUSTOMIZATION and None in amounts:
            messages.append(
                _(
                    "%(cell)s: 初期費用と年間費用の両方を記入してください",
                    cell=cell_ref(number, COL_INITIAL),
                )
            )
    where = cell_ref(number, COL_KIND)
    messages += [f"{where}: {m}" for m in answer_problems(kind, detail, text, cost)]
    if messages:
        return None, messages
    if _same(seen, kind, detail, text, cost):
        return None, []
    assert answered_on is not None  # noqa: S101 - no date problem above
    answer = VendorAnswer(seen.function_id, kind, detail or "", answered_on, text, cost)
    return AnswerRow(number, answer, seen.answer_id), []


def read_answer_sheet(
    source: Path | bytes,
    *,
    function_ids: Collection[str],
    today: date,
    display: str | None = None,
) -> list[AnswerRow]:
    """The changed answers of an uploaded answer sheet; raise InvalidInput with every problem.

    `function_ids` are the current catalog's functions: a changed row of another is a problem.
    """
    if display is None:
        display = source.name if isinstance(source, Path) else "upload.xlsx"
    workbook = open_workbook(source, display, read_only=True)
    try:
        if META_SHEET not in workbook.sheetnames:
            message = _(
                "fitgap が出力した回答シートではありません（%(sheet)s シートがありません）。"
                "fitgap から回答シートをダウンロードしてください",
                sheet=META_SHEET,
            )
            raise InvalidInput([Problem(display, 0, message)])
        meta_rows = _values(workbook[META_SHEET], len(_META_TABLE), f"{display}[{META_SHEET}]")
        values, seen, problems = _read_meta(meta_rows, display)
        if problems:
            raise InvalidInput(problems)
        title = str(values["sheet"])
        if title not in workbook.sheetnames:
            raise InvalidInput(
                [Problem(display, 0, _("シート %(sheet)s がありません", sheet=title))]
            )
        sheet_rows = _values(workbook[title], len(HEADERS), f"{display}[{title}]")
    finally:
        workbook.close()
    header_row = _int_or_none(values["header_row"]) or HEADER_ROW
    where = f"{display}[{title}]"
    known = set(function_ids)
    found: list[AnswerRow] = []
    functions_seen: set[str] = set()
    last = max(len(sheet_rows), max(seen, default=0))
    for number in range(header_row + 1, last + 1):
        raw = sheet_rows[number - 1] if number <= len(sheet_rows) else ()
        cells = list(raw) + [None] * (len(HEADERS) - len(raw))
        entry = seen.get(number)
        id_cell = cell_ref(number, COL_ID)
        if entry is None:
            if any(_note(cells[c - 1]) for c in (COL_ID, *EDITABLE_COLUMNS)):
                message = _(
                    "%(cell)s: fitgap が出力した行ではありません（行は追加できません）",
                    cell=id_cell,
                )
                problems.append(Problem(where, number, message))
            continue
        found_id = _id_text(cells[COL_ID - 1])
        if found_id != entry.function_id or entry.function_id in functions_seen:
            message = _(
                "%(cell)s: 機能ID が書き換えられています（%(expected)s のはずが %(found)s）。"
                "機能ID の列は変更できません",
                cell=id_cell,
                expected=entry.function_id,
                found=found_id or "-",
            )
            problems.append(Problem(where, number, message))
            continue
        functions_seen.add(entry.function_id)
        row, messages = _read_row(cells, number, entry, today)
        problems.extend(Problem(where, number, m) for m in messages)
        if row is None:
            continue
        if entry.function_id not in known:
            message = _(
                "%(cell)s: 機能 %(id)s は現在のカタログにありません（回答シートの出力後に削除"
                "されました）",
                cell=id_cell,
                id=entry.function_id,
            )
            problems.append(Problem(where, number, message))
            continue
        found.append(row)
    if problems:
        raise InvalidInput(problems)
    return found


def preview_answers(
    rows: Sequence[AnswerRow], current: Mapping[str, VendorAnswer]
) -> list[AnswerChange]:
    """What storing the uploaded rows would change; `current` maps function ids to the
    current answers. A row whose function got another answer since the download conflicts."""
    changes: list[AnswerChange] = []
    for row in rows:
        before = current.get(row.answer.function_id)
        before_id = before.id if before is not None else 0
        changes.append(AnswerChange(row.row, before, row.answer, before_id != row.seen_answer_id))
    return changes
