"""The marking sheet round trip: download, edit in Excel (here: openpyxl), upload, preview."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook, load_workbook

from fitgap.domain.files.marking_sheet import (
    HEADER_ROW,
    MARKING_SHEET_FORMAT,
    META_SHEET,
    MarkChangePreview,
    MarkRow,
    Resolution,
    build_marking_sheet,
    field_changes,
    preview_changes,
    resolve_conflicts,
)
from fitgap.domain.files.sheet_kit import display_width
from fitgap.domain.values import Cost, Mark, Status
from tests.helpers import problems_of
from tests.sheets import FUNCTIONS, IDS, MARKS, WHEN, download, edit, row_of, upload


def test_layout_protection_and_hidden_metadata() -> None:
    workbook = load_workbook(BytesIO(download()))
    assert workbook.sheetnames == ["住民記録", META_SHEET]
    sheet, meta = workbook["住民記録"], workbook[META_SHEET]
    assert "石井町" in sheet["A2"].value and "住民記録" in sheet["A3"].value
    # Generated at 09:30 UTC: the sheet says Japan time, and says so.
    assert sheet["A4"].value == "出力日時: 2025-04-01 18:30（日本時間）"
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == [
        "機能ID",
        "大項目",
        "中項目",
        "小項目",
        "機能名称",
        "区分",
        "要件",
        "判定",
        "理由・運用メモ",
        "初期費用（円）",
        "年間費用（円）",
        "版",
        "優先度",
        "現行運用",
    ]
    first = [c.value for c in sheet[row_of("0010010")]]
    assert first == [
        "0010010",
        "管理項目",
        "住民データ",
        None,
        "日本人住民データの管理",
        "実装必須機能",
        "日本人住民の住民データを管理できること。\n氏名、住所等を含む。",
        "カスタマイズ",
        "条例で定める様式が必要。",
        1200000,
        150000,
        3,
        None,
        None,
    ]
    third = [c.value for c in sheet[row_of("0010030")]]
    assert third[1:4] == ["帳票", "証明書", "住民票 › 写し"] and third[7] == "適合"
    assert sheet.cell(row_of("0010040"), 8).value == "未判定"
    # Only status, note and cost can be edited, and the sheet is protected.
    assert sheet.protection.sheet and sheet.protection.sort
    row = row_of("0010020")
    locked = {c.column_letter: c.protection.locked for c in sheet[row]}
    assert [k for k, v in locked.items() if not v] == ["H", "I", "J", "K", "M", "N"]
    assert sheet["A8"].font.name == "Yu Gothic" and sheet["G8"].alignment.wrap_text
    assert sheet.freeze_panes == f"B{HEADER_ROW + 1}"
    assert sheet.column_dimensions["L"].hidden
    assert sheet.column_dimensions["G"].width > sheet.column_dimensions["A"].width
    (status_list, amounts, priorities) = sheet.data_validations.dataValidation
    assert priorities.type == "list" and str(priorities.sqref) == "M8:M11"
    assert priorities.formula1 == '"必須,要望,不要"'
    assert status_list.type == "list" and str(status_list.sqref) == "H8:H11"
    assert status_list.formula1 == '"適合,業務見直し,カスタマイズ,対象外,未判定"'
    assert amounts.type == "whole" and str(amounts.sqref) == "J8:K11"
    assert meta.sheet_state == "veryHidden"
    assert [meta["B1"].value, meta["B2"].value, meta["B3"].value] == [
        MARKING_SHEET_FORMAT,
        "ishii",
        "juki",
    ]


def test_widths_count_full_width_characters_twice() -> None:
    assert display_width("ab") == 2
    assert display_width("機能ID") == 6
    assert display_width("一行\n三文字目") == 8


def test_untouched_upload_changes_nothing(tmp_path: Path) -> None:
    sheet = upload(download())
    assert [r.function_id for r in sheet.rows] == [f.id for f in FUNCTIONS]
    assert sheet.edited == () and sheet.generated_at == WHEN
    assert preview_changes(sheet, MARKS) == []
    first = sheet.rows[0]
    assert (first.status, first.cost_initial_yen, first.base_version) == (
        Status.CUSTOMIZATION,
        1200000,
        3,
    )


def test_full_round_trip(tmp_path: Path) -> None:
    path = edit(
        tmp_path,
        download(),
        {
            f"H{row_of('0010010')}": "業務見直し",  # no longer a customization...
            f"J{row_of('0010010')}": None,  # ...so its cost goes
            f"K{row_of('0010010')}": None,
            f"H{row_of('0010020')}": "customization",  # English values are accepted too
            f"I{row_of('0010020')}": "在留カードの\r\n独自チェックが必要",
            f"J{row_of('0010020')}": "１,０００,０００円",
            f"K{row_of('0010020')}": 50000.0,
            f"I{row_of('0010040')}": "来年度に検討",
            f"G{row_of('0010040')}": "勝手に書き換えた要件",  # not trusted, ignored
            f"E{row_of('0010030')}": "名称も書き換え",
            f"L{row_of('0010030')}": 99,  # the visible version is not trusted either
        },
    )
    sheet = upload(path)
    assert [r.function_id for r in sheet.edited] == ["0010010", "0010020", "0010040"]
    previews = preview_changes(sheet, MARKS)
    assert previews == [
        MarkChangePreview(
            function_id="0010010",
            row=row_of("0010010"),
            before=MARKS["0010010"],
            # The note's trailing line break is kept: only the status and cost change.
            after=MarkRow(Status.WORKFLOW_CHANGE, "条例で定める様式が必要。\n", 3),
            conflict=False,
        ),
        MarkChangePreview(
            function_id="0010020",
            row=row_of("0010020"),
            before=MarkRow(),
            after=MarkRow(
                Status.CUSTOMIZATION, "在留カードの\n独自チェックが必要", 0, 1000000, 50000
            ),
            conflict=False,
        ),
        MarkChangePreview(
            function_id="0010040",
            row=row_of("0010040"),
            before=MarkRow(),
            after=MarkRow(Status.UNDECIDED, "来年度に検討", 0),
            conflict=False,
        ),
    ]
    assert [p.changed_fields for p in previews] == [
        ("status", "cost"),
        ("status", "note", "cost"),
        ("note",),
    ]
    assert previews[0].expected_version == 3
    assert previews[1].to_mark("ishii") == Mark(
        "ishii",
        "0010020",
        Status.CUSTOMIZATION,
        "在留カードの\n独自チェックが必要",
        Cost(1000000, 50000),
    )
    assert previews[0].to_mark("ishii").cost is None


def test_conflicts_only_where_the_file_and_someone_else_both_changed(tmp_path: Path) -> None:
    path = edit(tmp_path, download(), {f"H{row_of('0010020')}": "適合"})
    # Since the download, a colleague changed 0010010 and 0010020 on the web.
    current = {
        **MARKS,
        "0010010": MarkRow(Status.FIT, None, 4),
        "0010020": MarkRow(Status.NOT_APPLICABLE, None, 1),
    }
    previews = preview_changes(upload(path), current)
    # 0010010 was not changed in the file: the colleague's work is not undone.
    assert [(p.function_id, p.conflict) for p in previews] == [("0010020", True)]
    # A colleague who made the very same change is no conflict: nothing would change.
    same = {**current, "0010020": MarkRow(Status.FIT, None, 1)}
    assert preview_changes(upload(path), same) == []


def test_bad_cells_are_reported_with_sheet_and_cell(tmp_path: Path) -> None:
    path = edit(
        tmp_path,
        download(),
        {
            f"H{row_of('0010020')}": "たぶん適合",
            f"H{row_of('0010030')}": "適合",
            f"J{row_of('0010030')}": 1000,
            f"J{row_of('0010010')}": -5,
            f"K{row_of('0010010')}": "高い",
            f"A{row_of('0010040')}": "0010099",
            f"A{row_of('0010040') + 2}": "0019999",
            f"H{row_of('0010040') + 2}": "適合",
        },
    )
    found = problems_of(lambda: upload(path))
    where = "edited.xlsx[住民記録]"
    r1, r2, r3, r4 = (row_of(f) for f in ("0010010", "0010020", "0010030", "0010040"))
    assert found == [
        f"{where}:{r1}: J{r1}: 初期費用（円） は 0 以上にしてください",
        f"{where}:{r1}: K{r1}: 年間費用（円） 高い は数値ではありません",
        f"{where}:{r2}: H{r2}: 判定 たぶん適合 は使えません"
        "（適合 / 業務見直し / カスタマイズ / 対象外 / 未判定）",
        f"{where}:{r3}: J{r3}: 費用はカスタマイズの判定にだけ書けます（判定: 適合）",
        f"{where}:{r4}: A{r4}: 機能ID が書き換えられています（0010040 のはずが 0010099）。"
        "機能ID の列は変更できません",
        f"{where}:{r4 + 2}: A{r4 + 2}: fitgap が出力した行ではありません（行は追加できません）",
    ]


def test_sheet_for_another_town_or_area_is_refused() -> None:
    data = download(town_id="kamiyama", area_id="kaigo")
    found = problems_of(lambda: upload(data, display="s.xlsx"))
    assert len(found) == 2 and all(p.startswith("s.xlsx:0: ") for p in found)
    assert any("kamiyama" in p and "ishii" in p for p in found)
    assert any("kaigo" in p and "juki" in p for p in found)


def test_a_workbook_not_from_fitgap_is_refused(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["機能ID", "判定"])
    path = tmp_path / "own.xlsx"
    workbook.save(path)
    (problem,) = problems_of(lambda: upload(path))
    assert problem.startswith("own.xlsx:0: ") and META_SHEET in problem
    (problem,) = problems_of(lambda: upload(b"not an xlsx"))
    assert problem.startswith("upload.xlsx:0: ") and ".xlsx" in problem


def test_damaged_metadata_and_wrong_format(tmp_path: Path) -> None:
    path = edit(tmp_path, download(), {"C10": "x"}, sheet=META_SHEET)  # the version of a row
    (problem,) = problems_of(lambda: upload(path))
    assert (
        problem.startswith(f"edited.xlsx[{META_SHEET}]:10: ") and "ダウンロードし直して" in problem
    )
    path = edit(tmp_path, download(), {"B1": "fitgap-marking-sheet/9"}, sheet=META_SHEET)
    (problem,) = problems_of(lambda: upload(path))
    assert "fitgap-marking-sheet/9" in problem and MARKING_SHEET_FORMAT in problem


def test_a_function_removed_since_the_download(tmp_path: Path) -> None:
    ids = IDS - {"0010040"}
    # Untouched: skipped quietly, the rest is read.
    sheet = upload(download(), function_ids=ids)
    assert [r.function_id for r in sheet.rows] == ["0010010", "0010020", "0010030"]
    # Changed in the file: the change cannot be applied, so it is a problem.
    path = edit(tmp_path, download(), {f"H{row_of('0010040')}": "適合"})
    (problem,) = problems_of(lambda: upload(path, function_ids=ids))
    assert f"A{row_of('0010040')}: " in problem and "0010040" in problem


def test_empty_area_gives_a_sheet_with_only_the_header() -> None:
    data = build_marking_sheet(
        town_id="ishii",
        town_name="石井町",
        area_id="juki",
        area_name="住民/記録?",
        functions=(),
        marks={},
        generated_at=datetime(2025, 4, 1, 9, 30),
    )
    assert load_workbook(BytesIO(data)).sheetnames == ["住民記録", META_SHEET]
    assert upload(data).rows == ()


def test_notes_that_look_like_formulas_stay_text(tmp_path: Path) -> None:
    marks = {"0010020": MarkRow(Status.FIT, '=HYPERLINK("http://x","y")\x07', 2)}
    data = download(marks=marks)
    sheet = load_workbook(BytesIO(data))["住民記録"]
    cell = sheet.cell(row_of("0010020"), 9)
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","y")'
    path = edit(tmp_path, data, {f"H{row_of('0010020')}": "対象外"})
    (preview,) = preview_changes(upload(path), marks)
    assert preview.after.note == marks["0010020"].note  # the stored note is kept as it is
    assert preview.changed_fields == ("status",)


def test_a_function_twice_is_refused(tmp_path: Path) -> None:
    # Only possible by editing both the hidden metadata and the id column; refused all the same.
    data = download()
    workbook = load_workbook(BytesIO(data))
    meta_row = 8 + 2  # the metadata table's header is row 8; 0010020 is its second entry
    workbook[META_SHEET].cell(meta_row, 2).value = "0010010"
    workbook["住民記録"][f"A{row_of('0010020')}"] = "0010010"
    path = tmp_path / "twice.xlsx"
    workbook.save(path)
    (problem,) = problems_of(lambda: upload(path))
    assert f"A{row_of('0010020')}: 機能ID 0010010 が二度あります" in problem


def _change(function_id: str, before: MarkRow, after: MarkRow) -> MarkChangePreview:
    return MarkChangePreview(
        function_id, 8, before, after, conflict=before.version != after.version
    )


def test_conflicts_are_answered_on_the_version_seen() -> None:
    plain = _change(
        "0010001", MarkRow(Status.FIT, version=1), MarkRow(Status.CUSTOMIZATION, "様式", 1)
    )
    taken = _change(
        "0010002", MarkRow(Status.FIT, version=3), MarkRow(Status.WORKFLOW_CHANGE, None, 1)
    )
    kept = _change(
        "0010003", MarkRow(Status.FIT, version=2), MarkRow(Status.NOT_APPLICABLE, None, 1)
    )
    moved = _change("0010004", MarkRow(Status.FIT, version=5), MarkRow(Status.FIT, "メモ", 1))
    open_ = _change("0010005", MarkRow(Status.FIT, version=2), MarkRow(Status.UNDECIDED, None, 1))
    answers = {
        "0010002": Resolution(3, take_sheet=True),
        "0010003": Resolution(2, take_sheet=False),
        "0010004": Resolution(4, take_sheet=True),  # seen at 4, now at 5
    }
    resolved = resolve_conflicts([plain, taken, kept, moved, open_], answers)
    assert [c.function_id for c in resolved.to_save] == ["0010001", "0010002"]
    assert resolved.to_save[1].expected_version == 3  # saved over the version seen
    assert [c.function_id for c in resolved.kept] == ["0010003"]
    assert [c.function_id for c in resolved.moved] == ["0010004"]
    assert [c.function_id for c in resolved.unresolved] == ["0010005"]


def test_field_changes_name_costs_and_notes() -> None:
    change = _change(
        "0010001",
        MarkRow(Status.CUSTOMIZATION, "独自様式", 1, 1_000_000, 100_000),
        MarkRow(Status.CUSTOMIZATION, "独自様式（2種）", 1, 1_200_000, 100_000),
    )
    assert [(f.field, f.before, f.after) for f in field_changes(change)] == [
        ("note", "独自様式", "独自様式（2種）"),
        ("cost_initial_yen", "1,000,000円", "1,200,000円"),
    ]
