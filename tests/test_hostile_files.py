"""Hostile files (the outside review's attacks): each is refused with a clear, specific error
(FILE:LINE: message; exit 1 on the command line, 400 on the web), quickly and in bounded memory.
The files are built in tests/hostile.py; their time and memory before and after the fix are in
docs/reliability.md (benchmarks/hostile_files.py)."""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from fitgap.domain import limits
from fitgap.domain.files import yamlfile
from fitgap.domain.files.catalog import read_catalog, read_marks, read_towns
from fitgap.domain.files.xlsx_catalog import read_function_list
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests import hostile
from tests.factories import make_catalog, make_towns
from tests.helpers import Invoke, problems_of, sign_in, write
from tests.sheets import post_sheet

REPO = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024


def read_sheet(data: bytes) -> list[str]:
    return problems_of(lambda: hostile.read_sheet(data, display="s.xlsx"))


# --- item 1: metadata numbers are checked before any loop ---------------------------------------


def test_a_huge_row_number_in_the_metadata_is_refused_before_any_loop() -> None:
    # Before: range(header_row + 1, 10**12 + 1) ran for days.
    found = read_sheet(hostile.with_meta_cell(hostile.META_TABLE_ROW, 1, 10**12))
    assert found == [
        "s.xlsx[_fitgap]:9: fitgap の管理情報（A9:I9）が壊れています。"
        "判定シートをダウンロードし直してください"
    ]


@pytest.mark.parametrize("value", [-5, 0, 10**9, "7"])
def test_a_wrong_header_row_is_named(value: object) -> None:
    found = read_sheet(hostile.with_meta_cell(5, 2, value))
    assert found == [
        "s.xlsx[_fitgap]:5: fitgap の管理情報（header_row）が壊れています。"
        "判定シートをダウンロードし直してください"
    ]


@pytest.mark.parametrize(("column", "value"), [(3, -1), (3, 2**31), (6, 10**14), (7, -3)])
def test_versions_and_costs_in_the_metadata_are_checked(column: int, value: int) -> None:
    found = read_sheet(hostile.with_meta_cell(hostile.META_TABLE_ROW, column, value))
    assert len(found) == 1 and found[0].startswith("s.xlsx[_fitgap]:9: ")


# --- item 2: sizes, rows and columns before parsing; XML entities --------------------------------


def test_a_huge_shared_string_is_refused_by_its_unpacked_size() -> None:
    found = read_sheet(hostile.huge_shared_string(limits.MAX_XLSX_UNPACKED_BYTES + MiB))
    assert len(found) == 1 and found[0].startswith("s.xlsx:0: 展開後の大きさが上限 67,108,864")


def test_blanks_in_sheet_data_are_refused_by_their_unpacked_size() -> None:
    found = read_sheet(hostile.whitespace_in_sheet_data(limits.MAX_XLSX_UNPACKED_BYTES + MiB))
    assert len(found) == 1 and found[0].startswith("s.xlsx:0: 展開後の大きさが上限 67,108,864")


def test_sizes_the_zip_lies_about_are_a_clear_error() -> None:
    # The central directory says 100 bytes per part: the inflated part fails its checksum.
    found = read_sheet(hostile.lying_sizes(hostile.whitespace_in_sheet_data(8 * MiB)))
    assert len(found) == 1 and found[0].startswith(
        "s.xlsx:0: Excel ファイル（.xlsx）として読めません"
    )


def test_the_real_unpacked_size_is_counted_whatever_the_zip_declares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fitgap.domain.files import xlsx_guard

    data = hostile.whitespace_in_sheet_data(2 * MiB)
    monkeypatch.setattr(xlsx_guard, "MAX_XLSX_UNPACKED_BYTES", MiB)
    # A zip reader that trusted the declared sizes: only counting the stream finds the bomb.
    monkeypatch.setattr(xlsx_guard, "_declared_size", lambda infos: 0)
    found = read_sheet(data)
    assert len(found) == 1
    assert found[0].startswith("s.xlsx:0: 展開後の大きさが上限 1,048,576 バイトを超えます")


def test_a_cell_in_column_xfd_is_refused() -> None:
    found = read_sheet(hostile.far_cells(20_000))
    assert found == [
        "s.xlsx[xl/worksheets/sheet1.xml]:1: セル XFD20 は 16,384 列目です。"
        "列は 256 列までにしてください"
    ]


def test_a_row_beyond_the_limit_is_refused() -> None:
    found = read_sheet(hostile.far_cells(1, column="A", title="_fitgap")[:])
    assert found  # the metadata row 20 is not a function row: damaged, not a loop
    data = hostile.rezip(
        hostile.good_sheet(),
        {
            "xl/worksheets/sheet2.xml": hostile.members(hostile.good_sheet())[
                "xl/worksheets/sheet2.xml"
            ].replace(b"</sheetData>", b'<row r="1048576"/></sheetData>')
        },
    )
    assert read_sheet(data) == [
        "s.xlsx[xl/worksheets/sheet2.xml]:1: 1,048,576 行目があります。"
        "行は 50,000 行までにしてください"
    ]


def test_xml_entities_and_malformed_xml_are_clear_errors() -> None:
    assert read_sheet(hostile.xml_entity()) == [
        "s.xlsx[xl/worksheets/sheet1.xml]:1: XML の DTD・エンティティ宣言（<!DOCTYPE>）は使えません"
    ]
    found = read_sheet(hostile.malformed_xml())
    assert len(found) == 1 and found[0].startswith(
        "s.xlsx[xl/worksheets/sheet1.xml]:1: XML が壊れています（mismatched tag）"
    )


def test_the_merge_bomb_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_bytes(hostile.merge_bomb_list())
    found = problems_of(lambda: read_function_list(path, area_id="juki", display="list.xlsx"))
    assert found == [
        "list.xlsx[xl/worksheets/sheet1.xml]:1: 1,048,576 行目があります。"
        "行は 50,000 行までにしてください"
    ]


def test_a_list_of_50000_rows_is_read_and_one_more_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_bytes(hostile.long_list(limits.MAX_SHEET_ROWS - 1))
    area = read_function_list(path, area_id="juki").area
    assert len(area.functions) == limits.MAX_SHEET_ROWS - 1
    path.write_bytes(hostile.long_list(limits.MAX_SHEET_ROWS))
    found = problems_of(lambda: read_function_list(path, area_id="juki", display="list.xlsx"))
    assert found == [
        "list.xlsx[xl/worksheets/sheet1.xml]:1: 50,001 行目があります。"
        "行は 50,000 行までにしてください"
    ]


# --- item 7: numbers beyond the limits -----------------------------------------------------------


def test_a_cost_of_5000_digits_is_a_clear_error() -> None:
    assert read_sheet(hostile.raw_number_cell(5000)) == [
        "s.xlsx[住民記録]:8: 8 行目に読めない数値のセルがあります（桁数が多すぎるなど）"
    ]
    assert read_sheet(hostile.customization("9" * 5000)) == [
        "s.xlsx[住民記録]:8: J8: 初期費用（円） は 10,000,000,000,000 円以下にしてください"
    ]


@pytest.mark.parametrize("amount", [10**18, 10**20, 10**13 + 1])
def test_costs_above_the_web_forms_limit_are_refused_by_the_sheet(amount: int) -> None:
    assert read_sheet(hostile.customization(amount)) == [
        "s.xlsx[住民記録]:8: J8: 初期費用（円） は 10,000,000,000,000 円以下にしてください"
    ]


def test_a_cost_at_the_limit_is_accepted() -> None:
    sheet = hostile.read_sheet(hostile.customization(limits.MAX_YEN))
    assert sheet.rows[0].cost_initial_yen == limits.MAX_YEN


MARKS = """format: fitgap-marks/1
town: ishii
marks:
  - function: "0010010"
    status: customization
"""
TOWN = "format: fitgap-town/1\nid: ishii\nname: 石井町\n"


def read_marks_text(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, "ishii.yaml", text)
    return problems_of(
        lambda: read_marks([path], town_ids={"ishii"}, function_ids={"0010010"}, base=tmp_path)
    )


@pytest.mark.parametrize("value", [10**30, 10**13 + 1, "9" * 5000])
def test_costs_in_a_marks_file_are_within_the_limit(tmp_path: Path, value: object) -> None:
    found = read_marks_text(tmp_path, MARKS + f"    cost:\n      initial_yen: {value}\n")
    assert found == [
        "ishii.yaml:7: cost.initial_yen は 0 以上 10,000,000,000,000 以下にしてください"
    ]


def test_a_note_longer_than_the_web_editor_allows_is_refused_by_yaml(tmp_path: Path) -> None:
    note = "あ" * (limits.MAX_NOTE_LENGTH + 1)
    found = read_marks_text(tmp_path, MARKS.replace("customization", "fit") + f"    note: {note}\n")
    assert found == [
        "ishii.yaml:6: note が長すぎます（20,001 文字）。20,000 文字以内にしてください"
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f"population: {10**30}",
            "t.yaml:4: population は 0 以上 1,000,000,000 以下にしてください",
        ),
        ("households: " + "9" * 5000, "t.yaml:4: households は 0 以上 1,000,000,000 以下"),
        (f"budget_yen: {10**14}", "t.yaml:4: budget_yen は 0 以上 10,000,000,000,000 以下"),
        ("area_km2: 1.0e+400", "t.yaml:4: area_km2 は 0 以上 400,000 以下にしてください"),
        ("area_km2: .nan", "t.yaml:4: area_km2 は 0 以上 400,000 以下にしてください"),
    ],
)
def test_numbers_in_a_town_file_are_within_the_limits(
    tmp_path: Path, line: str, expected: str
) -> None:
    write(tmp_path, "t.yaml", TOWN + line + "\n")
    found = problems_of(lambda: read_towns(tmp_path, base=tmp_path))
    assert len(found) == 1 and found[0].startswith(expected)


# --- item 3: YAML aliases and nesting ------------------------------------------------------------


def test_aliases_are_refused_naming_the_alias_and_its_line(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", hostile.alias_bomb(levels=1))
    found = problems_of(lambda: read_catalog(tmp_path, base=tmp_path))
    assert found == [
        "juki.yaml:12: アンカーとエイリアス（&名前 と *a0）は使えません。値をそのまま書いてください"
    ]


def test_deep_nesting_is_refused_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", hostile.deep_value(250))
    found = problems_of(lambda: read_catalog(tmp_path, base=tmp_path))
    assert found == ["juki.yaml:11: 入れ子が深すぎます（20 段まで）"]


def test_nesting_up_to_the_limit_is_kept(tmp_path: Path) -> None:
    # The value sits at depth 4 (document, functions, item, x-deep); 15 lists more is fine.
    write(tmp_path, "juki.yaml", hostile.deep_value(15))
    catalog = read_catalog(tmp_path)
    value = catalog.areas[0].functions[0].extra["x-deep"]
    for _level in range(14):
        value = value[0]
    assert value == [1]


def test_the_formats_and_the_sample_data_use_no_anchors() -> None:
    # Refusing aliases takes nothing away: neither the documentation nor the data uses them.
    for folder in ("requirements_catalog", "towns", "demo/marks"):
        for path in (REPO / folder).glob("*.yaml"):
            assert "*" not in path.read_text(encoding="utf-8").replace("**", ""), path
    read_catalog(REPO / "requirements_catalog")
    read_towns(REPO / "towns")


# --- item 11: input files are regular files of a bounded size ------------------------------------


def test_devices_fifos_and_folders_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path, message in (
        (Path("/dev/zero"), "通常のファイルではありません（デバイス・FIFO などは読み込めません）"),
        (fifo, "通常のファイルではありません（デバイス・FIFO などは読み込めません）"),
        (tmp_path, "ファイルではなくフォルダです"),
    ):
        found = problems_of(
            lambda p=path: read_marks([p], town_ids={"ishii"}, function_ids=set())  # type: ignore[misc]
        )
        assert found == [f"{path}:0: {message}"]


def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlfile, "MAX_YAML_FILE_BYTES", 100)
    write(tmp_path, "ishii.yaml", MARKS + "#" * 100)
    found = read_marks_text(tmp_path, MARKS + "#" * 100)
    assert found == ["ishii.yaml:0: ファイルが大きすぎます（上限 100 バイト）"]


def test_folders_report_link_loops_and_folders_named_yaml(tmp_path: Path) -> None:
    towns = tmp_path / "towns"
    towns.mkdir()
    make_towns(tmp_path)
    (towns / "old.yaml").mkdir()
    (towns / "loop.yaml").symlink_to(towns / "loop.yaml")
    (towns / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    found = problems_of(lambda: read_towns(towns, base=towns))
    assert found == [
        "gone.yaml:0: ファイルがありません（リンク先がないリンクかもしれません）",
        "loop.yaml:0: シンボリックリンクがループしています",
        "old.yaml:0: ファイルではなくフォルダです",
    ]


def test_the_commands_refuse_devices_with_exit_1(files: Path, fitgap: Invoke) -> None:
    make_catalog(files, count=2)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    for args in (
        ("marks", "import", "/dev/zero"),
        ("marks", "import-xlsx", "/dev/zero", "--town", "ishii", "--area", "juki"),
        ("catalog", "import-xlsx", "/dev/zero", "--area", "juki", "--out", "new.yaml"),
    ):
        result = fitgap(*args)
        assert result.exit_code == 1, result.output
        assert "/dev/zero:0: 通常のファイルではありません" in result.output


# --- the web: each hostile sheet is a 400 page with its message ----------------------------------

UNREADABLE = "Excel の判定シート（.xlsx）として読めませんでした"


@pytest.mark.parametrize(
    ("build", "message", "plain"),
    [
        (
            lambda: hostile.with_meta_cell(hostile.META_TABLE_ROW, 1, 10**12),
            "管理情報（A9:I9）",
            "隠しシートやシート名が変わっていて",
        ),
        (lambda: hostile.huge_shared_string(80 * MiB), "展開後の大きさが上限", UNREADABLE),
        (lambda: hostile.far_cells(20_000), "セル XFD20 は 16,384 列目です", UNREADABLE),
        (hostile.xml_entity, "DTD・エンティティ宣言", UNREADABLE),
        (hostile.malformed_xml, "XML が壊れています", UNREADABLE),
        (lambda: hostile.raw_number_cell(5000), "読めない数値のセル", None),
        (lambda: hostile.customization(10**18), "10,000,000,000,000 円以下", None),
    ],
)
def test_the_upload_answers_a_hostile_sheet_with_a_400_page(
    files: Path,
    fitgap: Invoke,
    client: FlaskClient,
    db: Database,
    caplog: pytest.LogCaptureFixture,
    build: Callable[[], bytes],
    message: str,
    plain: str | None,
) -> None:
    """A sheet's own problems name the cell; a file that is not a sheet fitgap can read is
    told plainly, with the precise reason in the log."""
    make_catalog(files, count=4)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    sign_in(client, db, "ishii-staff", "staff", town="ishii")
    caplog.set_level(logging.INFO)
    status, page = post_sheet(client, build())
    assert status == 400
    if plain is None:
        assert message in page
    else:
        assert plain in page and message not in page and message in caplog.text
    with db.session() as session:  # nothing saved
        assert (
            mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001") is None
        )


# --- memory: the hostile reads end with the clear error under a 600 MB address space ------------

CHILD = """
import resource, sys
sys.path.insert(0, ".")
resource.setrlimit(resource.RLIMIT_AS, (600 * 1024 * 1024,) * 2)
from tests import hostile
from fitgap.domain.files.catalog import read_catalog
from fitgap.domain.files.marking_sheet import read_marking_sheet
from fitgap.domain.files.yamlfile import InvalidInput
from pathlib import Path
data = Path(sys.argv[1]).read_bytes()
try:
    if sys.argv[1].endswith(".yaml"):
        read_catalog(Path(sys.argv[1]))
    else:
        read_marking_sheet(data, town_id="ishii", area_id="juki",
                           function_ids=hostile.FUNCTION_IDS, display="s.xlsx")
except InvalidInput as error:
    print(error.problems[0].message)
"""


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        ("bomb.xlsx", lambda: hostile.huge_shared_string(1024 * MiB), "展開後の大きさが上限"),
        ("blanks.xlsx", lambda: hostile.whitespace_in_sheet_data(1024 * MiB), "展開後の大きさ"),
        ("xfd.xlsx", lambda: hostile.far_cells(20_000), "列は 256 列まで"),
        ("meta.xlsx", lambda: hostile.with_meta_cell(9, 1, 10**12), "管理情報（A9:I9）"),
        ("c.yaml", lambda: hostile.alias_bomb(9).encode(), "アンカーとエイリアス"),
    ],
)
def test_hostile_reads_end_with_the_error_in_bounded_memory(
    tmp_path: Path, name: str, build: Callable[[], bytes], message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(build())
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert message in result.stdout
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 600 * 1024
