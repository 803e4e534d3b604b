"""Priority (優先度: 必須 / 要望 / 不要) and today's practice (現行運用) on each mark: the web
editor, the function page, a status-only change, the marks files (read and written back) and
the errors they give.
"""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO
from pathlib import Path

import yaml
from flask.testing import FlaskClient
from openpyxl import load_workbook

from fitgap.domain.files.marking_sheet import (
    META_SHEET,
    MarkRow,
    preview_changes,
)
from fitgap.domain.meetings.agenda import proposed_agenda
from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.values import Function, Mark, Priority, Requirement, Status, Town
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.factories import make_marks
from tests.helpers import Invoke, problems_of
from tests.sheets import MARKS, download, edit, row_of, upload
from tests.workspace import choose, current, post_mark, prepare


def test_the_editor_saves_priority_and_todays_practice_and_a_status_change_keeps_them(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    page = client.get("/functions/0010001").text
    assert 'name="priority"' in page and 'name="as_is"' in page
    response = post_mark(
        client,
        "0010001",
        "ishii",
        "customization",
        1,
        note="条例で定める様式",
        priority="required",
        as_is="窓口で独自様式に手書き\n月末に集計",
        context="page",
    )
    assert response.status_code == 200
    saved = current(db, "ishii", "0010001")
    assert saved is not None
    assert (saved.priority, saved.as_is) == ("required", "窓口で独自様式に手書き\n月末に集計")
    with db.session() as read:
        change = mark_queries.mark_history(session=read, function_id="0010001")[-1]
    assert (change.priority, change.as_is) == ("required", "窓口で独自様式に手書き\n月末に集計")
    # Every town's column on the function page shows them.
    page = client.get("/functions/0010001").text
    assert "必須" in page and "窓口で独自様式に手書き" in page
    # A grid button sends the status only: priority and today's practice stay.
    assert post_mark(client, "0010001", "ishii", "workflow_change", 2).status_code == 200
    kept = current(db, "ishii", "0010001")
    assert kept is not None and kept.status == "workflow_change"
    assert (kept.priority, kept.as_is) == ("required", "窓口で独自様式に手書き\n月末に集計")
    # The editor can clear them again.
    post_mark(client, "0010001", "ishii", "workflow_change", 3, note="", priority="", as_is="")
    cleared = current(db, "ishii", "0010001")
    assert cleared is not None and (cleared.priority, cleared.as_is) == (None, None)


def test_a_priority_the_editor_does_not_offer_is_refused(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    refused = post_mark(client, "0010002", "ishii", "fit", 1, note="", priority="urgent")
    assert refused.status_code == 400
    too_long = post_mark(client, "0010002", "ishii", "fit", 1, note="", as_is="あ" * 20_001)
    assert too_long.status_code == 400
    unchanged = current(db, "ishii", "0010002")
    assert unchanged is not None and unchanged.version == 1 and unchanged.priority is None


def test_marks_files_read_and_write_both_keys(files: Path, fitgap: Invoke, db: Database) -> None:
    prepare(files, fitgap)
    make_marks(
        files,
        "ishii",
        {
            "0010001": {"status": "customization", "priority": "必須", "as_is": "紙の台帳"},
            "0010002": {"status": "fit", "priority": "not_needed"},
        },
    )
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    first = current(db, "ishii", "0010001")
    assert first is not None and (first.priority, first.as_is) == ("required", "紙の台帳")
    # Importing the same again changes nothing; a new priority alone is a change.
    again = fitgap("marks", "import", "marks/ishii.yaml")
    assert again.exit_code == 0
    assert current(db, "ishii", "0010001") == first
    result = fitgap("marks", "export", "--town", "ishii", "--out", "out")
    assert result.exit_code == 0, result.output
    exported = yaml.safe_load((files / "out" / "ishii.yaml").read_text(encoding="utf-8"))
    by_id = {mark["function"]: mark for mark in exported["marks"]}
    assert by_id["0010001"]["priority"] == "required"
    assert by_id["0010001"]["as_is"] == "紙の台帳"
    assert by_id["0010002"]["priority"] == "not_needed" and "as_is" not in by_id["0010002"]


def test_a_wrong_priority_in_a_marks_file_names_the_file_line_and_key(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    prepare(files, fitgap)
    before = current(db, "ishii", "0010001")
    make_marks(
        files,
        "ishii",
        {
            "0010001": {"status": "fit", "priority": "急ぎ"},
            "0010002": {"status": "fit", "as_is": "あ" * 20_001},
        },
    )
    result = fitgap("marks", "import", "marks/ishii.yaml")
    assert result.exit_code == 1
    assert (
        "ishii.yaml:6: priority 急ぎ は使えません（required / wanted / not_needed" in result.output
    )
    assert "as_is が長すぎます（20,001 文字）。20,000 文字以内にしてください" in result.output
    assert current(db, "ishii", "0010001") == before


# --- the marking sheet ------------------------------------------------------------------------


def sheet_with(
    tmp_path: Path, cells: dict[str, object], marks: dict[str, MarkRow] | None = None
) -> Path:
    data = download(marks=marks)
    return edit(tmp_path, data, cells)


def test_the_marking_sheet_carries_priority_and_todays_practice(tmp_path: Path) -> None:
    marks = {**MARKS, "0010020": MarkRow(Status.FIT, None, 2, priority=Priority.WANTED)}
    data = download(marks=marks)
    sheet = load_workbook(BytesIO(data))["住民記録"]
    assert sheet.cell(row_of("0010020"), 13).value == "要望"
    # Staff choose 必須 and describe today's practice on 0010010, and clear 0010020's priority.
    r1, r2 = row_of("0010010"), row_of("0010020")
    path = edit(tmp_path, data, {f"M{r1}": "必須", f"N{r1}": "窓口で手書き", f"M{r2}": None})
    uploaded = upload(path)
    current = {**marks}
    previews = {p.function_id: p for p in preview_changes(uploaded, current)}
    assert set(previews) == {"0010010", "0010020"}
    first = previews["0010010"]
    assert first.changed_fields == ("priority", "as_is")
    mark = first.to_mark("ishii")
    assert (mark.priority, mark.as_is, mark.status) == (
        Priority.REQUIRED,
        "窓口で手書き",
        Status.CUSTOMIZATION,
    )
    assert previews["0010020"].to_mark("ishii").priority is None


def test_a_priority_not_in_the_list_is_a_problem_with_its_cell(tmp_path: Path) -> None:
    path = sheet_with(tmp_path, {f"M{row_of('0010010')}": "急ぎ"})
    problems = problems_of(lambda: upload(path))
    assert problems == [
        "edited.xlsx[住民記録]:8: M8: 優先度 急ぎ は使えません（必須 / 要望 / 不要、または空欄）"
    ]


def test_a_sheet_of_format_1_is_still_read_and_leaves_priority_alone(tmp_path: Path) -> None:
    """A sheet downloaded before priorities existed: no such columns, 7 metadata columns."""
    data = download()
    workbook = load_workbook(BytesIO(data))
    sheet, meta = workbook["住民記録"], workbook[META_SHEET]
    sheet.delete_cols(13, 2)
    meta["B1"] = "fitgap-marking-sheet/1"
    meta.delete_cols(8, 2)
    sheet[f"H{row_of('0010030')}"] = "業務見直し"
    path = tmp_path / "old.xlsx"
    workbook.save(path)
    uploaded = upload(path)
    assert not uploaded.has_priority
    # Since the download the town set a priority and today's practice on the web.
    current = {
        **MARKS,
        "0010030": MarkRow(Status.FIT, None, 1, priority=Priority.REQUIRED, as_is="紙で発行"),
    }
    (change,) = preview_changes(uploaded, current)
    assert change.changed_fields == ("status",)
    mark = change.to_mark("ishii")
    assert (mark.status, mark.priority, mark.as_is) == (
        Status.WORKFLOW_CHANGE,
        Priority.REQUIRED,
        "紙で発行",
    )


def test_an_applied_sheet_saves_priority_and_todays_practice(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    prepare(files, fitgap)
    out = files / "sheet.xlsx"
    assert (
        fitgap("marks", "sheet", "--town", "ishii", "--area", "juki", "--out", str(out)).exit_code
        == 0
    )
    workbook = load_workbook(out)
    sheet = workbook.worksheets[0]
    row = next(r for r in range(8, 20) if sheet.cell(r, 1).value == "0010002")
    sheet.cell(row, 13).value = "不要"
    sheet.cell(row, 14).value = "使っていない"
    workbook.save(out)
    result = fitgap("marks", "import-xlsx", str(out), "--town", "ishii", "--area", "juki")
    assert result.exit_code == 0, result.output
    saved = current(db, "ishii", "0010002")
    assert saved is not None and saved.status == "fit" and saved.version == 2
    assert (saved.priority, saved.as_is) == ("not_needed", "使っていない")
    with db.session() as read:
        change = mark_queries.mark_history(session=read, function_id="0010002")[-1]
    assert (change.source, change.priority) == ("xlsx", "not_needed")


# --- the agenda -------------------------------------------------------------------------------


def test_the_agenda_asks_first_where_the_towns_themselves_call_it_a_wish() -> None:
    area = "juki"
    functions = [
        Function(f"00100{k}0", area, f"機能{k}", Requirement.MANDATORY, "") for k in range(1, 5)
    ]
    towns = [Town("ishii", "石井町"), Town("naka", "那賀町"), Town("kamiyama", "神山町")]
    C, F = Status.CUSTOMIZATION, Status.FIT
    marks = [
        # 0010010: two towns customize, one needs it by ordinance: the biggest drop, but asked last.
        Mark("ishii", "0010010", C, priority=Priority.REQUIRED),
        Mark("naka", "0010010", C, priority=Priority.WANTED),
        # 0010020: a lone customization, only wanted: the first ask.
        Mark("ishii", "0010020", C, priority=Priority.WANTED),
        Mark("naka", "0010020", F),
        # 0010030: a lone customization without a stated priority.
        Mark("kamiyama", "0010030", C),
        # 0010040: fit against workflow change, no customization.
        Mark("ishii", "0010040", F),
        Mark("naka", "0010040", Status.WORKFLOW_CHANGE),
    ]
    board = galapagos_risk(functions, towns, marks)
    drops = {a.function_id: a.group_drop_units for a in board.function_asks(area)}
    assert drops["0010010"] > drops["0010020"] == drops["0010030"]  # risk alone would differ
    assert proposed_agenda(board, area) == ["0010020", "0010030", "0010010", "0010040"]
    # Without any priority the order is the risk's own, as before.
    plain = galapagos_risk(functions, towns, [replace(m, priority=None) for m in marks])
    assert proposed_agenda(plain, area) == ["0010010", "0010020", "0010030", "0010040"]
