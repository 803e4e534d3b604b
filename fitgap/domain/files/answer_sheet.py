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

from fitgap.domain.files import sheet_kit
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
META_SHEET = sheet_kit.META_SHEET

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
LAYOUT = sheet_kit.FormLayout(
    header_row=HEADER_ROW,
    headers=HEADERS,
    widths={
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
    },
    wrapped=(COL_PATH, COL_NAME, COL_TOWNS, COL_REASONS, COL_DETAIL, COL_TEXT),
    editable=EDITABLE_COLUMNS,
    number_formats={
        COL_ID: "@",
        COL_INITIAL: "#,##0",
        COL_ANNUAL: "#,##0",
        COL_DATE: "yyyy-mm-dd",
    },
    id_column=COL_ID,
    header_lines=2,
)
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
    sheet_kit.put(sheet, 1, 1, _("カスタマイズ要望への回答シート")).font = sheet_kit.title_font()
    sheet_kit.put(sheet, 2, 1, _("出力日時: %(when)s", when=stamp)).font = sheet_kit.font()
    kinds = " / ".join(ANSWER_KIND_LABELS_JA[k] for k in AnswerKind)
    sheet_kit.write_instructions(
        sheet,
        3,
        _(
            "黄色の列だけを記入してください。回答はプルダウン（%(kinds)s）から選び、回答の内容に"
            "は、標準機能ならどの画面・機能か、設定ならどのパラメータか、運用ならどの手順か、"
            "カスタマイズならバージョンアップへの影響、対応不可ならその理由を書きます。見積りは"
            "カスタマイズが必要な場合だけ、円単位の整数で記入します。回答日が空欄なら取り込んだ日"
            "になります。アップロードすると確認画面が出て、すべての行に問題がない場合だけまとめて"
            "反映されます。",
            kinds=kinds,
        ),
        columns=len(HEADERS),
        lines=4,
    )
    sheet_kit.write_headers(sheet, LAYOUT)


def _add_validations(sheet: Any, last: int) -> None:
    first = HEADER_ROW + 1
    labels = ",".join(ANSWER_KIND_LABELS_JA[k] for k in AnswerKind)
    validations = (
        sheet_kit.list_validation(
            labels,
            title=_("回答"),
            error=_("回答はプルダウンの値（%(labels)s）から選んでください", labels=labels),
            column=COL_KIND,
            first=first,
            last=last,
        ),
        sheet_kit.amount_validation(
            title=_("見積り"),
            error=_("見積りは 0 以上の整数（円）で記入してください"),
            columns=(COL_INITIAL, COL_ANNUAL),
            first=first,
            last=last,
            maximum=MAX_YEN,
        ),
    )
    sheet_kit.add_validations(sheet, LAYOUT, last, validations)


def _meta_entry(row: int, request: CustomizationRequest) -> tuple[object, ...]:
    """A row's entry in the hidden sheet: its function and the answer shown at download."""
    answer = request.answer
    return (
        row,
        request.function_id,
        answer.id if answer else 0,
        answer.kind.value if answer else None,
        answer.detail if answer else None,
        answer.text if answer else None,
        answer.cost.initial_yen if answer and answer.cost else None,
        answer.cost.annual_yen if answer and answer.cost else None,
    )


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
    sheet_kit.write_rows(sheet, LAYOUT, rows)
    if rows:
        _add_validations(sheet, HEADER_ROW + len(rows))
    sheet_kit.protect_and_lay_out(sheet, LAYOUT, a3=True)
    meta_values = (ANSWER_SHEET_FORMAT, sheet.title, HEADER_ROW, generated_at.isoformat())
    entries = (_meta_entry(HEADER_ROW + n, r) for n, r in enumerate(requests, start=1))
    sheet_kit.write_meta(workbook, _META_KEYS, meta_values, _META_TABLE, entries)
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

    values = sheet_kit.meta_values(rows, _META_KEYS)
    if values.get("format") != ANSWER_SHEET_FORMAT:
        message = _(
            "回答シートの形式 %(found)s は読めません（%(expected)s が必要です）",
            found=values.get("format"),
            expected=ANSWER_SHEET_FORMAT,
        )
        return values, {}, [Problem(display, 0, message)]
    problems: list[Problem] = []
    header_row = sheet_kit.int_or_none(values.get("header_row"))
    if header_row is None or not 1 <= header_row < MAX_SHEET_ROWS:
        problems.append(damaged(_META_KEYS.index("header_row") + 1))
        header_row = HEADER_ROW
    if not isinstance(values.get("sheet"), str):
        problems.append(damaged(_META_KEYS.index("sheet") + 1))
    seen: dict[int, _Seen] = {}
    for number, cells in sheet_kit.meta_table(rows, _META_KEYS, _META_TABLE):
        sheet_row, answer_id = sheet_kit.int_or_none(cells[0]), sheet_kit.int_or_none(cells[2])
        function_id, kind, detail, text = cells[1], cells[3], cells[4], cells[5]
        initial, annual = sheet_kit.int_or_none(cells[6]), sheet_kit.int_or_none(cells[7])
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
        and sheet_kit.note(seen.detail) == detail
        and sheet_kit.note(seen.text) == text
        and (seen.initial, seen.annual) == (initial, annual)
    )


def _read_row(
    cells: Sequence[object], number: int, seen: _Seen, today: date
) -> tuple[AnswerRow | None, list[str]]:
    raw_kind = cells[COL_KIND - 1]
    detail, text = sheet_kit.note(cells[COL_DETAIL - 1]), sheet_kit.note(cells[COL_TEXT - 1])
    filled = any(sheet_kit.note(cells[c - 1]) for c in EDITABLE_COLUMNS if c != COL_DATE)
    if sheet_kit.note(raw_kind) is None:
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
        amount, wrong = sheet_kit.amount(
            cells[column - 1], cell_ref(number, column), _(HEADERS[column - 1])
        )
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
        meta_rows = sheet_kit.read_values(
            workbook[META_SHEET], len(_META_TABLE), f"{display}[{META_SHEET}]"
        )
        values, seen, problems = _read_meta(meta_rows, display)
        if problems:
            raise InvalidInput(problems)
        title = str(values["sheet"])
        if title not in workbook.sheetnames:
            raise InvalidInput(
                [Problem(display, 0, _("シート %(sheet)s がありません", sheet=title))]
            )
        sheet_rows = sheet_kit.read_values(workbook[title], len(HEADERS), f"{display}[{title}]")
    finally:
        workbook.close()
    header_row = sheet_kit.int_or_none(values["header_row"]) or HEADER_ROW
    where = f"{display}[{title}]"
    known = set(function_ids)
    found: list[AnswerRow] = []
    functions_seen: set[str] = set()
    for number, cells, entry in sheet_kit.form_rows(
        LAYOUT, sheet_rows, seen, header_row=header_row, where=where, problems=problems
    ):
        id_cell = cell_ref(number, COL_ID)
        if entry.function_id in functions_seen:
            message = sheet_kit.id_rewritten(id_cell, entry.function_id, entry.function_id)
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
