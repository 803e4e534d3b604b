"""A saved scenario of the group (参加団体の検討) in the exports: the minutes (Markdown, CSV, XLSX)
and the matrix (XLSX) carry its table, from the command line and the web, on the demo data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from fitgap.cli.group import create_demo_scenarios
from fitgap.store import group as group_queries
from fitgap.store.db import Database
from tests.helpers import Invoke, moderate, observe, sign_in

MEMBERS = "参加団体（4町）"
TITLE = f"参加団体の検討：{MEMBERS}"


@pytest.fixture
def demo(sample: Path, fitgap: Invoke, db: Database) -> dict[str, dict[str, object]]:
    """The demo's towns, marks and saved scenarios; each member's line of `fitgap group`."""
    loaded = fitgap("load")
    assert loaded.exit_code == 0, loaded.output
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    imported = fitgap("marks", "import", *marks)
    assert imported.exit_code == 0, imported.output
    assert create_demo_scenarios(db) >= 3
    result = fitgap("group", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    lines = {m["town"]: m for m in report["merit"]}
    lines[""] = {"risk": report["risk"], "merit_yen": sum(m["merit_yen"] for m in lines.values())}
    return lines


def scenario_id(db: Database, name: str) -> int:
    with db.session() as session:
        found = group_queries.find_scenario(session=session, wanted=name)
        assert found is not None and found.id is not None
        return found.id


NAMES = {"ishii": "石井町", "kamiyama": "神山町", "naka": "那賀町", "higashimiyoshi": "東みよし町"}


def check_sheet(sheet: object, expected: dict[str, dict[str, object]]) -> None:
    """The scenario's sheet: typed yen and risk in a Japanese font, one line per town."""
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[attr-defined]
    assert rows[0][0] == "町" and "年間のメリット（円）" in str(rows[0][1])
    by_name = {row[0]: row for row in rows[1:]}
    for town, name in NAMES.items():
        row = by_name[name]
        assert row[1] == expected[town]["merit_yen"] and isinstance(row[1], int)
        assert (
            isinstance(row[2], int) and abs(row[2] - expected[town]["merit_per_resident_yen"]) <= 1
        )  # type: ignore[operator]
        assert row[3] == expected[town]["risk"] and isinstance(row[3], float)
    assert by_name["グループ全体"][1] == expected[""]["merit_yen"]
    assert by_name["グループ全体"][3] == expected[""]["risk"]
    cell = sheet["B2"]  # type: ignore[index]
    assert cell.number_format == "#,##0" and cell.font.name == "Yu Gothic"


def test_the_command_line_adds_the_scenario_to_the_minutes_and_the_matrix(
    demo: dict[str, dict[str, object]], fitgap: Invoke, files: Path, db: Database
) -> None:
    out = files / "out"
    result = fitgap(
        "export", "decisions", "--format", "md", "--out", str(out), "--scenario", MEMBERS
    )
    assert result.exit_code == 0, result.output
    text = (out / "decisions-all.md").read_text(encoding="utf-8")
    section = text.split(f"## {TITLE}", 1)[1]
    for town, name in NAMES.items():
        assert f"| {name} | {demo[town]['merit_yen']:+,} |" in section
    assert "| グループ全体 |" in section and "4町・10年間" in section
    # By number too, as CSV (a second table after an empty row) and as a sheet.
    number = str(scenario_id(db, MEMBERS))
    for output in ("csv", "xlsx"):
        result = fitgap(
            "export", "decisions", "--format", output, "--out", str(out), "--scenario", number
        )
        assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((out / "decisions-all.csv").read_text("utf-8-sig"))))
    start = rows.index([TITLE])
    assert rows[start - 1] == [] and rows[start + 1][0] == "町"
    assert [str(demo["ishii"]["merit_yen"])] == rows[start + 2][1:2]
    workbook = load_workbook(out / "decisions-all.xlsx")
    check_sheet(workbook[workbook.sheetnames[-1]], demo)
    # The matrix: a sheet of its own after the summary.
    result = fitgap("export", "matrix", "--out", str(out / "matrix.xlsx"), "--scenario", MEMBERS)
    assert result.exit_code == 0, result.output
    matrix = load_workbook(out / "matrix.xlsx")
    assert matrix.sheetnames[1].startswith("参加団体の検討：")
    check_sheet(matrix[matrix.sheetnames[1]], demo)
    # Without the option nothing changes.
    result = fitgap("export", "decisions", "--format", "md", "--out", str(out), "--force")
    assert "参加団体の検討" not in (out / "decisions-all.md").read_text(encoding="utf-8")


def test_an_unknown_scenario_is_named_and_the_matrix_csv_refuses_one(
    demo: dict[str, dict[str, object]], fitgap: Invoke, files: Path
) -> None:
    result = fitgap("export", "decisions", "--out", str(files / "out"), "--scenario", "5町案")
    assert result.exit_code == 1
    assert "保存されたシナリオ「5町案」はありません" in result.output
    assert not (files / "out" / "decisions-all.md").exists()
    result = fitgap("export", "matrix", "--scenario", "999", "--out", str(files / "m.xlsx"))
    assert result.exit_code == 1 and "「999」" in result.output
    result = fitgap("export", "matrix", "--format", "csv", "--scenario", MEMBERS)
    assert result.exit_code == 2 and "--format xlsx" in result.output


def test_the_web_exports_offer_the_scenarios_and_carry_the_table(
    demo: dict[str, dict[str, object]], client: FlaskClient, db: Database
) -> None:
    number = scenario_id(db, MEMBERS)
    moderate(client)
    page = client.get("/minutes").get_data(as_text=True)
    form = page.split('id="scenario-export-all"', 1)[1].split("</form>", 1)[0]
    assert 'method="get"' in form.split(">", 1)[0]  # a plain GET form: works without JS
    assert f'<option value="{number}">{MEMBERS}</option>' in form
    assert 'formaction="/minutes/decisions.xlsx"' in form
    markdown = client.get(f"/minutes/decisions.md?scenario={number}").get_data(as_text=True)
    assert f"## {TITLE}" in markdown
    assert f"| 石井町 | {demo['ishii']['merit_yen']:+,} |" in markdown
    workbook = load_workbook(
        io.BytesIO(client.get(f"/minutes/decisions.xlsx?scenario={number}").data)
    )
    check_sheet(workbook[workbook.sheetnames[-1]], demo)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'id="matrix-scenario-export"' in dashboard
    with client.get(f"/matrix.xlsx?scenario={number}") as response:
        assert response.status_code == 200
        matrix = load_workbook(io.BytesIO(response.data))
    check_sheet(matrix[matrix.sheetnames[1]], demo)
    with client.get(f"/matrix.csv?scenario={number}") as response:
        assert response.status_code == 400
    unknown = client.get("/minutes/decisions.md?scenario=98765")
    assert unknown.status_code == 404 and "「98765」" in unknown.get_data(as_text=True)
    # The observers (the towns' management) may add it too.
    observe(client)
    assert client.get(f"/minutes/decisions.csv?scenario={number}").status_code == 200


@pytest.mark.parametrize("role", ["staff", "vendor"])
def test_only_the_group_pages_readers_may_add_a_scenario(
    demo: dict[str, dict[str, object]], client: FlaskClient, db: Database, role: str
) -> None:
    number = scenario_id(db, MEMBERS)
    sign_in(client, db, role, role, town="ishii" if role == "staff" else None)
    assert client.get("/minutes/decisions.md").status_code == 200
    assert client.get(f"/minutes/decisions.md?scenario={number}").status_code == 403
    with client.get(f"/matrix.xlsx?scenario={number}") as response:
        assert response.status_code == 403
    if role == "staff":
        assert "scenario-export" not in client.get("/minutes").get_data(as_text=True)
        assert "matrix-scenario-export" not in client.get("/dashboard").get_data(as_text=True)


def test_a_scenario_is_found_by_number_or_exact_name_and_nothing_else(
    demo: dict[str, dict[str, object]], db: Database
) -> None:
    number = scenario_id(db, MEMBERS)
    with db.session() as session:
        for wanted in (str(number), f" {MEMBERS} ", MEMBERS):
            found = group_queries.find_scenario(session=session, wanted=wanted)
            assert found is not None and found.id == number, wanted
        for wanted in ("参加団体", "x\x00", "9" * 30, "１", ""):
            assert group_queries.find_scenario(session=session, wanted=wanted) is None, wanted
