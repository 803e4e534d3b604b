"""Official function lists in Excel → catalog areas → catalog YAML, in several layouts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

from fitgap.domain.files.catalog import read_catalog
from fitgap.domain.files.xlsx_catalog import (
    ImportedArea,
    normalize_header,
    read_function_list,
    to_catalog_yaml,
)
from fitgap.domain.values import Function, Requirement
from tests.helpers import problems_of

Rows = Sequence[Sequence[object]]


def make_book(
    folder: Path,
    sheets: Mapping[str, Rows],
    *,
    merges: Mapping[str, Sequence[str]] | None = None,
    name: str = "list.xlsx",
) -> Path:
    """An .xlsx file with the given sheets (rows from row 1) and merged ranges."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        for cell_range in (merges or {}).get(title, ()):
            sheet.merge_cells(cell_range)
    path = folder / name
    workbook.save(path)
    return path


# The layout of the official lists: a title block, header cells with line breaks in them,
# 大項目 merged down over its functions, 中項目 left blank under the first of its group.
OFFICIAL: Rows = [
    ["住民記録システム標準仕様書【第4.0版】機能・帳票要件"],
    [],
    ["※ 実装区分の凡例は別紙"],
    ["大項目", "中項目", "小項目", "機能\nID", "機能名称", "機能要件", "実装\n区分", "備 考"],
    [
        "管理項目",
        "住民データ",
        None,
        "0010010",
        "日本人住民データ\nの管理",
        "日本人住民の住民データを管理できること。  \r\n氏名、住所等を含む。",
        "実装必須機能",
        None,
    ],
    [
        None,
        None,
        None,
        "0010020",
        "外国人住民データの管理",
        "外国人住民を管理できること。",
        "標準オプション機能",
        "在留カード",
    ],
    [
        None,
        "世帯データ",
        "世帯構成",
        "0010030",
        "世帯の管理",
        "世帯を管理できること。",
        "実装 不可機能",
        "複数行の\n備考",
    ],
    [None, None, None, "0010040", "世帯主の変更", "世帯主を変更できること。", "実装必須機能"],
    [],
    ["異動", "届出", None, "0020010", "転入", "転入を届け出られること。", "実装必須機能"],
]
OFFICIAL_MERGES = {"機能要件": ["A5:A8"]}


def official_book(folder: Path) -> Path:
    return make_book(
        folder,
        {
            "表紙": [["住民記録システム標準仕様書"], ["第4.0版"], ["令和6年"]],
            "機能要件": OFFICIAL,
            "改訂履歴": [["版", "日付", "内容"], ["4.0", "2024-01-01", "機能ID 0010050 を削除"]],
        },
        merges=OFFICIAL_MERGES,
        name="juki.xlsx",
    )


def by_id(imported: ImportedArea) -> dict[str, Function]:
    return {f.id: f for f in imported.area.functions}


def test_official_layout_with_merged_and_blank_headings(tmp_path: Path) -> None:
    path = official_book(tmp_path)
    imported = read_function_list(path, area_id="juki", area_name="住民記録")
    assert imported.sheet == "機能要件" and imported.header_row == 4
    assert imported.columns == {
        "id": "D",
        "class": "G",
        "text": "F",
        "name": "E",
        "heading1": "A",
        "heading2": "B",
        "heading3": "C",
        "note": "H",
    }
    assert imported.warnings == ()
    area = imported.area
    assert (area.id, area.name) == ("juki", "住民記録")
    functions = by_id(imported)
    assert list(functions) == ["0010010", "0010020", "0010030", "0010040", "0020010"]
    first = functions["0010010"]
    assert first.name == "日本人住民データの管理"  # a break for the column width is joined
    assert first.text == "日本人住民の住民データを管理できること。\n氏名、住所等を含む。\n"
    assert first.requirement is Requirement.MANDATORY and first.note is None
    assert first.path == ("管理項目", "住民データ") and first.line == 5
    assert functions["0010020"].path == ("管理項目", "住民データ")  # merged and blank, carried
    assert functions["0010020"].requirement is Requirement.OPTIONAL
    assert functions["0010020"].note == "在留カード"
    assert functions["0010030"].path == ("管理項目", "世帯データ", "世帯構成")
    assert functions["0010030"].requirement is Requirement.PROHIBITED  # spaces in the class
    assert functions["0010030"].note == "複数行の\n備考\n"
    assert functions["0010040"].path == ("管理項目", "世帯データ", "世帯構成")
    # A new 大項目 resets the headings below it instead of carrying the old ones over.
    assert functions["0020010"].path == ("異動", "届出")
    assert all(f.area_id == "juki" for f in functions.values())


def test_different_names_order_numeric_ids_and_old_class_words(tmp_path: Path) -> None:
    rows: Rows = [
        ["機能分類", "補足", "ＩＤ", "要件名", "区分", "要件の内容"],
        ["届出", None, 230265, "転入通知", "実装すべき機能", "通知できること。"],
        [],
        [None, None, None, None, None, None],
        [None, "任意", 230266, "転出通知", "実装してもしなくても良い機能", "通知できる。"],
        ["証明", None, "0230270", "写しの交付", "実装しない機能", "交付できる。"],
        [],
    ]
    path = make_book(tmp_path, {"Sheet1": rows})
    imported = read_function_list(path, area_id="kaigo")
    functions = by_id(imported)
    assert list(functions) == ["0230265", "0230266", "0230270"]
    assert [f.requirement for f in functions.values()] == [
        Requirement.MANDATORY,
        Requirement.OPTIONAL,
        Requirement.PROHIBITED,
    ]
    assert functions["0230266"].path == ("届出",) and functions["0230266"].note == "任意"
    assert functions["0230270"].path == ("証明",)
    assert imported.area.name == "list"  # the file's stem when no name is given
    (warning,) = imported.warnings
    assert warning.file.endswith("list.xlsx[Sheet1]") and warning.line == 2
    assert "2 個" in warning.message and "C2" in warning.message
    assert "230265 → 0230265" in warning.message


def test_ids_all_numeric_are_padded_to_seven_digits(tmp_path: Path) -> None:
    rows: Rows = [
        ["機能ID", "機能名称", "機能要件", "実装区分"],
        [10010, "a", "A", "実装必須機能"],
        [10020.0, "b", "B", "実装必須機能"],
    ]
    imported = read_function_list(make_book(tmp_path, {"s": rows}), area_id="juki")
    assert [f.id for f in imported.area.functions] == ["0010010", "0010020"]


def test_no_name_column_takes_the_last_heading(tmp_path: Path) -> None:
    rows: Rows = [
        ["大項目", "中項目", "機能ID", "機能要件", "実装区分"],
        ["異動", "転入", "0020010", "転入できること。", "実装必須機能"],
        [None, None, "0020020", "転居できること。\n二行目", "実装必須機能"],
        ["記載", None, "0030010", "記載できること。\n二行目", "実装必須機能"],
    ]
    imported = read_function_list(make_book(tmp_path, {"s": rows}), area_id="juki")
    names = [f.name for f in imported.area.functions]
    assert names == ["転入", "転入", "記載"]
    assert any("機能名称" in w.message for w in imported.warnings)


def test_columns_named_by_the_caller(tmp_path: Path) -> None:
    rows: Rows = [
        ["No.", "名前", "内容", "種別", "メモ"],
        ["F-001", "検索", "検索できること。", "実装必須機能", "x"],
    ]
    path = make_book(tmp_path, {"s": rows})
    found = problems_of(lambda: read_function_list(path, area_id="juki"))
    assert len(found) == 1 and "見出し" in found[0]
    imported = read_function_list(
        path,
        area_id="juki",
        columns={"id": "No.", "name": "b", "text": "内 容", "requirement": "D", "note": "メモ"},
    )
    (function,) = imported.area.functions
    assert (function.id, function.name, function.note) == ("F-001", "検索", "x")
    assert imported.columns == {"id": "A", "name": "B", "text": "C", "class": "D", "note": "E"}


def test_header_row_given_and_a_form_list_keyed_by_form_id(tmp_path: Path) -> None:
    rows: Rows = [
        ["帳票要件一覧"],
        ["帳票ID", "帳票名称", "帳票要件", "実装区分"],
        ["0019010", "住民票の写し", "出力できること。", "実装必須機能"],
    ]
    path = make_book(tmp_path, {"s": rows})
    imported = read_function_list(path, area_id="juki", header_row=2)
    (function,) = imported.area.functions
    assert (function.id, function.name, function.forms) == ("0019010", "住民票の写し", ())


def test_related_forms_are_split_and_padded(tmp_path: Path) -> None:
    rows: Rows = [
        ["機能ID", "機能名称", "機能要件", "実装区分", "帳票ID"],
        ["0010010", "a", "A", "実装必須機能", "0230010、0230020\n0230030"],
        ["0010020", "b", "B", "実装必須機能", 230040],
    ]
    imported = read_function_list(make_book(tmp_path, {"s": rows}), area_id="juki")
    first, second = imported.area.functions
    assert first.forms == ("0230010", "0230020", "0230030")
    assert second.forms == ("0230040",)
    assert any("帳票ID" in w.message and "230040 → 0230040" in w.message for w in imported.warnings)


def test_a_given_sheet_is_read_and_others_are_ignored(tmp_path: Path) -> None:
    other: Rows = [["機能ID", "機能名称", "機能要件", "実装区分"], ["9999999", "x", "y", "z"]]
    second: Rows = [
        ["機能ID", "機能名称", "機能要件", "実装区分"],
        ["0310005", "共通", "共通機能。", "実装必須機能"],
        [],
        [],
        ["0310006", "共通2", "共通機能2。", "標準オプション機能"],
    ]
    path = make_book(tmp_path, {"旧版": other, "共通機能": second})
    imported = read_function_list(path, area_id="kyotsu", sheet="共通機能")
    assert [f.id for f in imported.area.functions] == ["0310005", "0310006"]
    found = problems_of(lambda: read_function_list(path, area_id="kyotsu", sheet="無い"))
    assert found == [f"{path}:0: シート 無い がありません（あるシート: 旧版, 共通機能）"]


def test_a_repeated_header_row_is_skipped(tmp_path: Path) -> None:
    header = ["機能ID", "機能名称", "機能要件", "実装区分"]
    rows: Rows = [
        header,
        ["0010010", "a", "A", "実装必須機能"],
        header,
        ["0010020", "b", "B", "実装必須機能"],
    ]
    imported = read_function_list(make_book(tmp_path, {"s": rows}), area_id="juki")
    assert [f.id for f in imported.area.functions] == ["0010010", "0010020"]


def test_every_problem_names_its_sheet_and_cell(tmp_path: Path) -> None:
    rows: Rows = [
        ["機能ID", "機能名称", "機能要件", "実装区分"],
        ["0010010", "a", "A", "必須"],
        ["0010020", "b", None, "実装必須機能"],
        ["0010010", "c", "C", "実装必須機能"],
        [None, "d", "D", "実装必須機能"],
        [10.5, "e", "E", "実装必須機能"],
        ["0010 060", "f", "F", None],
    ]
    path = make_book(tmp_path, {"機能": rows})
    found = problems_of(lambda: read_function_list(path, area_id="juki"))
    where = f"{path}[機能]"
    assert found[0].startswith(f"{where}:2: D2: ") and "必須" in found[0]
    assert found[1] == f"{where}:3: C3: 機能要件が空です"
    assert found[2] == f"{where}:4: A4: 機能ID 0010010 が重複しています（A2 にもあります）"
    assert found[3] == f"{where}:5: A5: 機能ID が空です"
    assert found[4].startswith(f"{where}:6: A6: ") and "10.5" in found[4]
    assert any(p.startswith(f"{where}:7: A7: ") and "空白" in p for p in found)
    assert any(p == f"{where}:7: D7: 実装区分が空です" for p in found)


def test_missing_required_column(tmp_path: Path) -> None:
    rows: Rows = [["機能ID", "機能名称", "機能要件", "備考"], ["0010010", "a", "A", None]]
    path = make_book(tmp_path, {"s": rows})
    (problem,) = problems_of(lambda: read_function_list(path, area_id="juki"))
    assert problem.startswith(f"{path}[s]:1: ") and "実装区分" in problem


def test_no_header_anywhere_bad_area_id_bad_column_key_and_not_excel(tmp_path: Path) -> None:
    path = make_book(tmp_path, {"a": [["x", "y"]], "b": [["1", "2"]]})
    (problem,) = problems_of(lambda: read_function_list(path, area_id="juki"))
    assert problem.startswith(f"{path}:0: ") and "a, b" in problem
    found = problems_of(lambda: read_function_list(path, area_id="Juki", columns={"colour": "A"}))
    assert any("Juki" in p for p in found) and any("colour" in p for p in found)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    (problem,) = problems_of(lambda: read_function_list(fake, area_id="juki"))
    assert problem.startswith(f"{fake}:0: ") and ".xlsx" in problem
    (problem,) = problems_of(lambda: read_function_list(tmp_path / "nope.xlsx", area_id="juki"))
    assert "ファイルがありません" in problem
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    (problem,) = problems_of(lambda: read_function_list(old, area_id="juki"))
    assert ".xls " in problem and ".xlsx" in problem
    csv = tmp_path / "list.csv"
    csv.write_text("機能ID,機能要件\n", encoding="utf-8")
    (problem,) = problems_of(lambda: read_function_list(csv, area_id="juki"))
    assert problem.startswith(f"{csv}:0: ") and ".xlsx" in problem


def test_header_names_are_normalised() -> None:
    assert normalize_header("機能\nＩＤ") == "機能ID"
    assert normalize_header(" 実装 区分（※1）") == "実装区分"
    assert normalize_header("備　考※") == "備考"
    assert normalize_header(None) == ""


def test_catalog_yaml_reads_back_to_the_same_functions(tmp_path: Path) -> None:
    imported = read_function_list(official_book(tmp_path), area_id="juki", area_name="住民記録")
    area = dataclasses.replace(
        imported.area,
        functions=(
            *imported.area.functions,
            Function(
                id="0020020",
                area_id="juki",
                name="転出: 国外",
                requirement=Requirement.OPTIONAL,
                text="一行目\n  字下げ\n\n- 箇条書き\n",
                path=("異動", "[届出]"),
                note="0123",
                forms=("0019010", "0019089"),
                extra={"x-spec-ref": "2.1"},
            ),
        ),
    )
    text = to_catalog_yaml(area, spec_title="住民記録システム標準仕様書", spec_version="第4.0版")
    assert text.startswith("format: fitgap-catalog/1\narea:\n  id: juki\n  name: 住民記録\n")
    assert '  - id: "0010010"\n    path: [管理項目, 住民データ]\n' in text
    assert '\n\n  - id: "0010020"\n' in text  # a blank line between functions
    assert "    text: |\n      日本人住民の住民データを管理できること。\n" in text
    assert 'forms: ["0019010", "0019089"]' in text
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "juki.yaml").write_text(text, encoding="utf-8")
    (read_area,) = read_catalog(folder).areas
    assert (read_area.spec_title, read_area.spec_version) == (
        "住民記録システム標準仕様書",
        "第4.0版",
    )

    def content(functions: Sequence[Function]) -> list[Function]:
        return [dataclasses.replace(f, line=0) for f in functions]

    assert content(read_area.functions) == content(area.functions)
    assert [f.fingerprint for f in read_area.functions] == [f.fingerprint for f in area.functions]


def test_two_row_header_with_vertically_merged_cells(tmp_path: Path) -> None:
    rows: Rows = [
        ["機能ID", "機能分類", None, None, "機能要件", "実装区分"],
        [None, "大項目", "中項目", "小項目", None, None],
        ["0010010", "管理", "住民", "日本人", "管理できること。", "実装必須機能"],
    ]
    merges = {"s": ["A1:A2", "B1:D1", "E1:E2", "F1:F2"]}
    imported = read_function_list(make_book(tmp_path, {"s": rows}, merges=merges), area_id="juki")
    assert imported.header_row == 2
    (function,) = imported.area.functions
    assert function.path == ("管理", "住民", "日本人") and function.name == "日本人"


def test_a_named_column_that_is_not_there(tmp_path: Path) -> None:
    rows: Rows = [
        ["機能ID", "機能名称", "機能要件", "実装区分"],
        ["0010010", "a", "A", "実装必須機能"],
    ]
    path = make_book(tmp_path, {"s": rows})
    (problem,) = problems_of(
        lambda: read_function_list(path, area_id="juki", columns={"note": "メモ"})
    )
    assert problem.startswith(f"{path}[s]:1: ") and "note=メモ" in problem
