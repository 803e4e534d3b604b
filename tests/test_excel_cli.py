"""The Excel commands: official list → catalog YAML, edition diff, marking-sheet round trip."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import openpyxl
import yaml

from fitgap.domain.files.marking_sheet import COL_INITIAL, COL_NOTE, COL_STATUS, HEADER_ROW
from fitgap.domain.values import Status
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke


def official_list(path: Path) -> None:
    """A function list laid out like the official ones: title rows, merged headings."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "機能要件"
    sheet["A1"] = "住民記録システム標準仕様書 機能・帳票要件"
    sheet.append([])
    sheet.append(["大項目", "中項目", "機能ID", "機能名称", "機能要件", "実装区分", "備考"])
    rows = [
        ["異動", "転入", 10010, "転入届の受付", "転入届を受け付けること。", "実装必須機能", None],
        [
            None,
            None,
            "0010020",
            "転入通知の作成",
            "転入通知を作成すること。",
            "標準オプション機能",
            "任意",
        ],
        [
            None,
            "転出",
            "0010030",
            "転出証明書",
            "転出証明書を発行すること。",
            "実装しない機能",
            None,
        ],
    ]
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A4:A6")
    book.save(path)


def test_import_xlsx_writes_a_catalog_that_loads(files: Path, fitgap: Invoke) -> None:
    official_list(files / "list.xlsx")
    result = fitgap("catalog", "import-xlsx", "list.xlsx", "--area", "juki", "--name", "住民記録")
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((files / "catalog" / "juki.yaml").read_text(encoding="utf-8"))
    functions = written["functions"]
    assert [f["id"] for f in functions] == ["0010010", "0010020", "0010030"]  # zeros restored
    assert functions[2]["path"] == ["異動", "転出"]  # merged heading carried down
    assert functions[2]["requirement"] == "prohibited"
    assert "0010010" in result.output  # the warning about the id stored as a number
    make_towns(files)
    assert fitgap("check").exit_code == 0
    again = fitgap("catalog", "import-xlsx", "list.xlsx", "--area", "juki")
    assert again.exit_code == 1 and "--force" in again.output


def test_import_xlsx_reports_the_cell(files: Path, fitgap: Invoke) -> None:
    official_list(files / "list.xlsx")
    book = openpyxl.load_workbook(files / "list.xlsx")
    book.active["F5"] = "たぶん必須"
    book.save(files / "list.xlsx")
    result = fitgap("catalog", "import-xlsx", "list.xlsx", "--area", "juki")
    assert result.exit_code == 1
    assert "list.xlsx[機能要件]:5: F5" in result.output
    assert not (files / "catalog" / "juki.yaml").exists()


def test_catalog_diff_of_two_editions(files: Path, fitgap: Invoke) -> None:
    (files / "old").mkdir()
    (files / "new").mkdir()
    make_catalog(files, count=3)
    (files / "catalog" / "juki.yaml").rename(files / "old" / "juki.yaml")
    make_catalog(files, count=4, **{"0010001": {"text": "改訂した要件。"}, "0010002": {}})
    (files / "catalog" / "juki.yaml").rename(files / "new" / "juki.yaml")
    result = fitgap("catalog", "diff", "old", "new/juki.yaml")
    assert result.exit_code == 0, result.output
    for expected in ("0010001", "0010002", "0010004"):
        assert expected in result.output


def test_marking_sheet_round_trip(files: Path, fitgap: Invoke, db: Database) -> None:
    make_catalog(files, count=4)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(files, "naka", {"0010001": "fit", "0010002": "fit"})
    assert fitgap("marks", "import", "marks/naka.yaml").exit_code == 0
    result = fitgap("marks", "sheet", "--town", "naka", "--area", "juki", "--out", "naka.xlsx")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(files / "naka.xlsx")
    sheet = book.worksheets[0]
    rows = {sheet.cell(r, 1).value: r for r in range(HEADER_ROW + 1, sheet.max_row + 1)}
    sheet.cell(rows["0010002"], COL_STATUS).value = "業務見直し"
    sheet.cell(rows["0010002"], COL_NOTE).value = "窓口の手順を変えます"
    sheet.cell(rows["0010003"], COL_STATUS).value = "適合"
    buffer = BytesIO()
    book.save(buffer)
    (files / "naka-filled.xlsx").write_bytes(buffer.getvalue())

    dry = fitgap(
        "marks", "import-xlsx", "naka-filled.xlsx", "--town", "naka", "--area", "juki", "--dry-run"
    )
    assert dry.exit_code == 0 and "0010002 機能2\n  判定: 適合 → 業務見直し" in dry.output
    assert "  理由・運用メモ: （なし） → 窓口の手順を変えます" in dry.output
    with db.session() as session:
        assert mark_queries.get_mark(session=session, town_id="naka", function_id="0010003") is None

    args = ("naka-filled.xlsx", "--town", "naka", "--area", "juki", "--by", "那賀町 住民課")
    result = fitgap("marks", "import-xlsx", *args)
    assert result.exit_code == 0, result.output
    with db.session() as session:
        changed = mark_queries.get_mark(session=session, town_id="naka", function_id="0010002")
        assert changed is not None
        assert (changed.status, changed.note, changed.version) == (
            "workflow_change",
            "窓口の手順を変えます",
            2,
        )
        history = mark_queries.mark_history(session=session, function_id="0010002")
        assert (history[-1].changed_by, history[-1].source) == ("那賀町 住民課", "xlsx")
        added = mark_queries.get_mark(session=session, town_id="naka", function_id="0010003")
        assert added is not None and added.status == "fit"


def test_marking_sheet_conflicts_are_refused_then_resolved(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    make_catalog(files, count=3)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    assert (
        fitgap("marks", "sheet", "--town", "ishii", "--area", "juki", "--out", "s.xlsx").exit_code
        == 0
    )
    with db.write() as session:  # a colleague marks 0010001 and 0010002 after the download
        for function_id in ("0010001", "0010002"):
            mark_queries.save_mark(
                session=session,
                town_id="ishii",
                function_id=function_id,
                status=Status.FIT,
                note=None,
                cost=None,
                expected_version=0,
                changed_by="colleague",
            )
    book = openpyxl.load_workbook(files / "s.xlsx")
    sheet = book.worksheets[0]
    sheet.cell(HEADER_ROW + 1, COL_STATUS).value = "カスタマイズ"
    sheet.cell(HEADER_ROW + 1, COL_NOTE).value = "独自様式"
    sheet.cell(HEADER_ROW + 1, COL_INITIAL).value = 500000
    sheet.cell(HEADER_ROW + 2, COL_STATUS).value = "業務見直し"
    sheet.cell(HEADER_ROW + 3, COL_STATUS).value = "適合"
    book.save(files / "s.xlsx")
    args = ("marks", "import-xlsx", "s.xlsx", "--town", "ishii", "--area", "juki")
    result = fitgap(*args)
    assert result.exit_code == 1
    assert "  0010001 機能1\n  0010002 機能2\n" in result.output and "--take-sheet" in result.output
    assert "初期費用: （なし） → 500,000円" in result.output

    def statuses() -> list[str | None]:
        with db.session() as session:
            marks = [
                mark_queries.get_mark(session=session, town_id="ishii", function_id=f"001000{n}")
                for n in (1, 2, 3)
            ]
        return [m.status if m else None for m in marks]

    assert statuses() == ["fit", "fit", None]
    stranger = fitgap(*args, "--take-sheet", "0010003")
    assert stranger.exit_code == 1 and "競合していません: 0010003" in stranger.output
    both = fitgap(*args, "--take-sheet", "0010001", "--keep-theirs", "0010001")
    assert both.exit_code == 2
    half = fitgap(*args, "--take-sheet", "0010001")  # 0010002 still has no answer
    assert half.exit_code == 1 and "0010002 機能2" in half.output and statuses()[2] is None
    done = fitgap(*args, "--take-sheet", "0010001", "--keep-theirs", "all")
    assert done.exit_code == 0, done.output
    assert "シートの値で上書き" in done.output and "いまの値を残す" in done.output
    assert statuses() == ["customization", "fit", "fit"]
    wrong = fitgap("marks", "import-xlsx", "s.xlsx", "--town", "naka", "--area", "juki")
    assert wrong.exit_code == 1 and "s.xlsx:0: この判定シートは町 ishii のものです" in wrong.output


def test_marking_sheet_customization_needs_a_reason(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    make_catalog(files, count=3)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    out = ("--town", "ishii", "--area", "juki")
    assert fitgap("marks", "sheet", *out, "--out", "s.xlsx").exit_code == 0
    book = openpyxl.load_workbook(files / "s.xlsx")
    book.worksheets[0].cell(HEADER_ROW + 2, COL_STATUS).value = "カスタマイズ"
    book.save(files / "s.xlsx")
    result = fitgap("marks", "import-xlsx", "s.xlsx", *out)
    assert result.exit_code == 1
    assert ":9: I9: 0010002 機能2 をカスタマイズにするときは" in result.output
    with db.session() as session:
        assert (
            mark_queries.get_mark(session=session, town_id="ishii", function_id="0010002") is None
        )
