"""The fit-gap matrix (Fit&Gap表): contents against the marks, the XLSX read back (types, fonts,
fills, print setup, frozen panes, filters, neutralised formulas), the CSV files, the command's
refusals and the downloads on the web. Runs on SQLite and, with FITGAP_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from fitgap.domain.meetings.minutes import DecisionDraft, TownVerdict
from fitgap.domain.values import Outcome, Status
from fitgap.services import meetings
from fitgap.store import meetings as meeting_queries
from fitgap.store.audit import Actor
from fitgap.store.db import Database
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, sign_in

TOWN_ORDER = ("higashimiyoshi", "ishii", "kamiyama", "naka")  # no codes: by id
FORMULA = '=HYPERLINK("http://example.invalid","x")'
WORKFLOW_NOTE = "申請は窓口で受け付ける運用に改める"


@pytest.fixture
def project(files: Path, fitgap: Invoke, db: Database) -> Path:
    """Two areas; 石井町 customizes 0010001 (必須, with cost, today's practice), 那賀町 too (要望),
    others fit; a formula-like note on a fit, a note on a workflow change; a decision on 0010002
    at a meeting of 令和7年4月15日."""
    make_catalog(files, "juki", count=3)
    make_catalog(files, "kaigo", count=2, prefix="002")
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(
        files,
        "ishii",
        {
            "0010001": {
                "status": "customization",
                "note": "条例で様式が決まっている",
                "cost": {"initial_yen": 1200000, "annual_yen": 150000},
                "priority": "必須",
                "as_is": "独自様式を手書きで発行",
            },
            "0010002": {"status": "fit", "note": FORMULA},
            "0020001": {"status": "workflow_change", "note": WORKFLOW_NOTE},
        },
    )
    make_marks(
        files,
        "naka",
        {"0010001": {"status": "customization", "priority": "wanted"}, "0010002": "fit"},
    )
    make_marks(files, "kamiyama", {"0010001": "fit", "0010002": "workflow_change"})
    result = fitgap("marks", "import", "marks/ishii.yaml", "marks/naka.yaml", "marks/kamiyama.yaml")
    assert result.exit_code == 0, result.output
    with db.write() as session:
        meeting = meeting_queries.create_meeting(
            session=session,
            data=meeting_queries.MeetingInput(
                area_id="juki", held_on=date(2025, 4, 15), moderator="山本", title="第1回 住民記録"
            ),
            agenda=["0010002"],
        )
        assert meeting.id is not None
        item = meeting_queries.agenda(session=session, meeting_id=meeting.id)[0]
        assert item.id is not None
        meetings.record_decision(
            session=session,
            meeting_id=meeting.id,
            item_id=item.id,
            draft=DecisionDraft(
                outcome=Outcome.ALL_FIT,
                summary="標準の画面で足りる",
                verdicts=tuple(TownVerdict(t, Status.FIT) for t in TOWN_ORDER),
            ),
            supersedes_id=None,
            actor=Actor(name="test", address=None),
        )
    return files


def header_index(header: tuple[object, ...], name: str) -> int:
    return header.index(name)


def test_the_workbook_holds_every_towns_verdict_and_the_groups_view(
    project: Path, fitgap: Invoke
) -> None:
    result = fitgap("export", "matrix", "--format", "xlsx", "--out", "m.xlsx")
    assert result.exit_code == 0, result.output
    workbook = load_workbook(project / "m.xlsx")
    assert workbook.sheetnames == ["集計", "業務juki（juki）", "業務kaigo（kaigo）"]
    sheet = workbook["業務juki（juki）"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:6] == ("機能ID", "大項目", "中項目", "小項目", "機能名称", "区分")
    ishii = header_index(header, "石井町 判定")
    assert header[6:12] == tuple(
        f"東みよし町 {h}"
        for h in ("判定", "優先度", "理由", "現行運用", "初期費用（円）", "年額費用（円）")
    )
    assert header[ishii : ishii + 6] == (
        "石井町 判定",
        "石井町 優先度",
        "石井町 理由",
        "石井町 現行運用",
        "石井町 初期費用（円）",
        "石井町 年額費用（円）",
    )
    assert header[-6:] == (
        "相違の種類",
        "リスク（0〜100）",
        "決定した会議",
        "決定日",
        "決定内容",
        "ベンダー回答",
    )
    by_id = {row[0]: row for row in rows[1:]}
    assert list(by_id) == ["0010001", "0010002", "0010003"]
    first = by_id["0010001"]
    assert first[1:6] == ("異動", "届出", None, "機能1", "実装必須機能")
    assert first[ishii : ishii + 6] == (
        "カスタマイズ",
        "必須",
        "条例で様式が決まっている",
        "独自様式を手書きで発行",
        1200000,
        150000,
    )
    naka = header_index(header, "那賀町 判定")
    assert first[naka : naka + 2] == ("カスタマイズ", "要望")
    assert first[header_index(header, "神山町 判定")] == "適合"
    assert first[header_index(header, "東みよし町 判定")] == "未判定"
    # Two of four towns customize a mandatory function: each adds 1 × (2·4 − 2) = 6 units of
    # the function's 16 possible: 50 × 6 / 8 = 37.5 on the band of permitted customizations.
    kind = header_index(header, "相違の種類")
    assert first[kind : kind + 2] == ("カスタマイズする団体としない団体に分かれる", 37.5)
    assert first[kind + 2 :] == (None, None, None, None)
    second = by_id["0010002"]
    # The decision in force: its meeting, its day (a typed date) and what it decided.
    assert second[kind + 2] == "第1回 住民記録"
    assert second[kind + 3] == datetime(2025, 4, 15)
    assert second[kind + 4] == "全団体が適合"
    # The decision set every town's mark to fit: the matrix shows the marks as they are now.
    assert second[ishii] == "適合" and second[header_index(header, "神山町 判定")] == "適合"


def test_the_workbook_is_typed_styled_and_set_up_for_print(project: Path, fitgap: Invoke) -> None:
    assert fitgap("export", "matrix", "--area", "juki", "--out", "m.xlsx").exit_code == 0
    workbook = load_workbook(project / "m.xlsx")
    sheet = workbook.worksheets[1]
    header = [cell.value for cell in sheet[1]]
    # Ids stay text (leading zeros), costs are integers, the risk a number, the date a date.
    id_cell = sheet["A2"]
    assert id_cell.value == "0010001" and id_cell.data_type == "s" and id_cell.number_format == "@"
    cost = sheet.cell(2, header.index("石井町 初期費用（円）") + 1)
    assert cost.data_type == "n" and cost.number_format == "#,##0"
    risk = sheet.cell(2, header.index("リスク（0〜100）") + 1)
    assert risk.data_type == "n" and risk.value == 37.5
    day = sheet.cell(3, header.index("決定日") + 1)
    assert day.is_date and "ggge" in day.number_format
    # A Japanese font everywhere; the header bold.
    assert sheet["A1"].font.name == "Yu Gothic" and sheet["A1"].font.b
    assert sheet["E2"].font.name == "Yu Gothic" and not sheet["E2"].font.b
    # A verdict is worded and coloured, each verdict its own colour.
    status = header.index("石井町 判定") + 1
    customization, fit = sheet.cell(2, status), sheet.cell(3, status)
    assert (customization.value, fit.value) == ("カスタマイズ", "適合")
    assert customization.fill.fgColor.rgb.endswith("FCE4D6")
    assert fit.fill.fgColor.rgb.endswith("E2EFDA")
    # The formula-like note is text that shows, never runs.
    note = sheet.cell(3, header.index("石井町 理由") + 1)
    assert note.value == "'" + FORMULA and note.data_type == "s"
    # Frozen header and id column, filters over the whole table, A3 landscape fit to width,
    # the header row and the id column printed on every page.
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}4"
    assert sheet.page_setup.paperSize == 8  # A3
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1" and sheet.print_title_cols == "$A:$A"


def test_the_summary_matches_the_score_command(project: Path, fitgap: Invoke) -> None:
    assert fitgap("export", "matrix", "--out", "m.xlsx").exit_code == 0
    summary = load_workbook(project / "m.xlsx")["集計"]
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0][:4] == ("業務ID", "業務", "団体", "機能数")
    lines = {(row[0], row[2]): row for row in rows[1:]}
    group = lines[("juki", "全団体（4団体の合計）")]
    # 3 functions × 4 towns = 12 cells: on 0010001 two customize, one fits, one is undecided;
    # on 0010002 the decision made all four fit; nobody marked 0010003. Only 0010001 divides.
    assert group[3:11] == (3, 5, 0, 2, 0, 5, 0, 1)
    scores = json.loads(fitgap("score", "--format", "json").output)
    area_risk = {area["id"]: area["risk"] for area in scores["areas"]}
    assert group[11] == area_risk["juki"]
    ishii = lines[("juki", "石井町")]
    assert ishii[4:9] == (1, 0, 1, 0, 1) and ishii[9] == 0
    kaigo = lines[("kaigo", "石井町")]
    assert kaigo[4:9] == (0, 1, 0, 0, 1)


def test_csv_files_per_area_with_bom_and_no_live_formulas(project: Path, fitgap: Invoke) -> None:
    result = fitgap("export", "matrix", "--format", "csv", "--out", "out")
    assert result.exit_code == 0, result.output
    juki = (project / "out" / "matrix-juki.csv").read_bytes()
    assert juki.startswith(b"\xef\xbb\xbf") and b"\r\n" in juki
    rows = list(csv.reader(io.StringIO(juki.decode("utf-8-sig"))))
    assert rows[0][0] == "機能ID" and rows[1][0] == "0010001"
    ishii = rows[0].index("石井町 判定")
    assert rows[1][ishii : ishii + 6] == [
        "カスタマイズ",
        "必須",
        "条例で様式が決まっている",
        "独自様式を手書きで発行",
        "1200000",
        "150000",
    ]
    assert rows[2][ishii + 2] == "'" + FORMULA
    assert rows[2][-3] == "令和7年4月15日"
    assert (project / "out" / "matrix-kaigo.csv").exists()
    # Several areas into one file: a zip of the same files.
    assert fitgap("export", "matrix", "--format", "csv", "--out", "m.zip").exit_code == 0
    with zipfile.ZipFile(project / "m.zip") as archive:
        assert sorted(archive.namelist()) == ["matrix-juki.csv", "matrix-kaigo.csv"]
        assert archive.read("matrix-juki.csv") == juki


def test_the_command_refuses_what_it_cannot_do(project: Path, fitgap: Invoke) -> None:
    assert fitgap("export", "matrix", "--out", "m.xlsx").exit_code == 0
    before = (project / "m.xlsx").read_bytes()
    again = fitgap("export", "matrix", "--out", "m.xlsx")
    assert again.exit_code == 1 and "--force" in again.output
    assert (project / "m.xlsx").read_bytes() == before
    assert fitgap("export", "matrix", "--out", "m.xlsx", "--force").exit_code == 0
    unknown = fitgap("export", "matrix", "--area", "nothing")
    assert unknown.exit_code == 1 and "業務 nothing はカタログにありません" in unknown.output
    several = fitgap("export", "matrix", "--format", "csv", "--out", "one.csv")
    assert several.exit_code == 1 and ".zip" in several.output
    assert not (project / "one.csv").exists()
    one = fitgap("export", "matrix", "--format", "csv", "--area", "kaigo", "--out", "one.csv")
    assert one.exit_code == 0 and (project / "one.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def download(client: FlaskClient, url: str) -> tuple[int, str, str, bytes]:
    """Status, mimetype, Content-Disposition and body; the response closed (its spool file)."""
    with client.get(url) as response:
        return (
            response.status_code,
            response.mimetype or "",
            response.headers.get("Content-Disposition", ""),
            response.data,
        )


def test_every_signed_in_role_downloads_the_matrix(
    project: Path, client: FlaskClient, db: Database
) -> None:
    assert download(client, "/matrix.xlsx")[0] in (302, 303)
    sign_in(client, db, "observer", "observer")
    status, mimetype, disposition, data = download(client, "/matrix.xlsx")
    assert status == 200 and mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in disposition
    assert load_workbook(io.BytesIO(data)).sheetnames[0] == "集計"
    status, mimetype, _disposition, data = download(client, "/areas/juki/matrix.csv")
    assert status == 200 and mimetype == "text/csv"
    assert data.startswith(b"\xef\xbb\xbf\xe6\xa9\x9f")  # BOM, then 機能ID
    status, mimetype, _disposition, data = download(client, "/matrix.csv")
    assert mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["matrix-juki.csv", "matrix-kaigo.csv"]
    assert download(client, "/areas/nothing/matrix.xlsx")[0] == 404
    assert download(client, "/matrix.pdf")[0] == 404
    page = client.get("/areas/juki").text
    assert 'href="/areas/juki/matrix.xlsx"' in page


def _texts(workbook_bytes: bytes) -> set[str]:
    """Every text cell of every sheet."""
    workbook = load_workbook(io.BytesIO(workbook_bytes))
    return {
        value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    }


def test_the_vendors_matrix_carries_only_the_customization_reasons(
    project: Path, client: FlaskClient, db: Database
) -> None:
    reason, as_is = "条例で様式が決まっている", "独自様式を手書きで発行"
    hidden = (WORKFLOW_NOTE, "'" + FORMULA, as_is)
    sign_in(client, db, "moderator", "moderator")
    full_xlsx = download(client, "/matrix.xlsx")[3]
    assert {reason, *hidden} <= _texts(full_xlsx)
    with zipfile.ZipFile(io.BytesIO(download(client, "/matrix.csv")[3])) as archive:
        full_csv = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    assert all(text in full_csv for text in (reason, WORKFLOW_NOTE, as_is, "HYPERLINK"))
    assert load_workbook(io.BytesIO(full_xlsx)).worksheets[1].oddHeader.center.text is None

    sign_in(client, db, "vendor", "vendor")
    status, _mimetype, _disposition, data = download(client, "/matrix.xlsx")
    assert status == 200
    texts = _texts(data)
    assert reason in texts and not texts & set(hidden)
    assert not any("HYPERLINK" in text or "現行運用" in text for text in texts)
    workbook = load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:  # printed on every page
        assert sheet.oddHeader.center.text == "ベンダー向け：カスタマイズの理由のみ記載"
    rows = list(workbook["業務juki（juki）"].iter_rows(values_only=True))
    header = rows[0]
    ishii = header_index(header, "石井町 判定")
    assert header[ishii : ishii + 5] == (
        "石井町 判定",
        "石井町 優先度",
        "石井町 カスタマイズの理由",
        "石井町 初期費用（円）",
        "石井町 年額費用（円）",
    )
    by_id = {row[0]: row for row in rows[1:]}
    # Everything but the notes stays: verdicts, priorities, costs, risk, the decision.
    assert by_id["0010001"][ishii : ishii + 5] == ("カスタマイズ", "必須", reason, 1200000, 150000)
    assert by_id["0010002"][ishii : ishii + 3] == ("適合", None, None)
    kind = header_index(header, "相違の種類")
    assert by_id["0010001"][kind + 1] == 37.5
    assert by_id["0010002"][kind + 2 : kind + 5] == (
        "第1回 住民記録",
        datetime(2025, 4, 15),
        "全団体が適合",
    )
    kaigo = list(workbook["業務kaigo（kaigo）"].iter_rows(values_only=True))
    assert kaigo[1][ishii] == "業務見直し"

    # The same in CSV: one area's file and every area's zip.
    status, _mimetype, _disposition, data = download(client, "/areas/juki/matrix.csv")
    juki = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert juki[0][ishii + 2] == "石井町 カスタマイズの理由" and "現行運用" not in ",".join(juki[0])
    assert juki[1][ishii : ishii + 5] == ["カスタマイズ", "必須", reason, "1200000", "150000"]
    assert juki[2][ishii : ishii + 3] == ["適合", "", ""]
    with zipfile.ZipFile(io.BytesIO(download(client, "/matrix.csv")[3])) as archive:
        vendor_csv = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    assert reason in vendor_csv and "業務見直し" in vendor_csv
    assert not any(text in vendor_csv for text in (WORKFLOW_NOTE, as_is, "HYPERLINK"))


def test_a_stored_note_with_a_trailing_line_break_has_no_empty_last_line() -> None:
    # A database written before notes from files were stored tidy still holds the line break
    # that ends a YAML | block: the matrix's cell must not show it as an empty last line.
    from fitgap.domain.files.matrix import build_area
    from fitgap.domain.values import Function, Mark, Requirement, Town

    function = Function(
        id="0010010",
        area_id="juki",
        path=("住民データ",),
        name="転入",
        requirement=Requirement.MANDATORY,
        text="",
    )
    towns = [Town(id="ishii", name="石井町"), Town(id="naka", name="那賀町")]
    marks = [
        Mark("ishii", "0010010", Status.CUSTOMIZATION, "様式が要る\n\n", as_is="紙で受付\r\n"),
        Mark("naka", "0010010", Status.FIT, "そのまま\n"),
    ]
    area = build_area(
        area_id="juki",
        area_name="住民記録",
        functions=[function],
        towns=towns,
        marks=marks,
        decisions={},
        vendor_answers={},
    )
    cells = [cell for cell in area.rows[0] if isinstance(cell, str)]
    assert "様式が要る" in cells and "紙で受付" in cells and "そのまま" in cells
    assert not any(cell.endswith(("\n", "\r")) for cell in cells)
