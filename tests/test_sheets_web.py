"""The marking sheet on the web: download, fill in, upload, preview, apply all or nothing."""

from __future__ import annotations

import base64
import re
from io import BytesIO
from pathlib import Path

import openpyxl
from flask.testing import FlaskClient

from fitgap.domain.files.marking_sheet import COL_INITIAL, COL_NOTE, COL_STATUS, HEADER_ROW
from fitgap.domain.values import Status
from fitgap.services.sheets import sheet_bytes
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from fitgap.web.app import local_time
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, csrf_token, sign_in
from tests.sheets import SHEET_URL, post_sheet

BASE = SHEET_URL


def prepared(files: Path, fitgap: Invoke, client: FlaskClient, db: Database) -> None:
    make_catalog(files, count=4)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(files, "ishii", {"0010001": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    sign_in(client, db, "ishii-staff", "staff", town="ishii")


def filled(client: FlaskClient, edits: dict[str, tuple[str, str | None]]) -> bytes:
    response = client.get(f"{BASE}.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = {sheet.cell(r, 1).value: r for r in range(HEADER_ROW + 1, sheet.max_row + 1)}
    for function_id, (status, note) in edits.items():
        sheet.cell(rows[function_id], COL_STATUS).value = status
        sheet.cell(rows[function_id], COL_NOTE).value = note
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_upload_previews_then_applies(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    assert BASE in client.get("/areas/juki").get_data(as_text=True)  # linked from the grid
    data = filled(client, {"0010001": ("業務見直し", "窓口で対応"), "0010002": ("適合", None)})
    status, page = post_sheet(client, data)
    assert status == 200 and "2 件の機能が変わります" in page
    with db.session() as session:  # nothing saved by the preview
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001")
        assert mark is not None and mark.status == "fit"
    carried = re.search(r'name="data" value="([^"]+)"', page)
    assert carried is not None and base64.b64decode(carried.group(1)) == data
    applied = client.post(
        f"{BASE}/apply",
        data={"csrf_token": csrf_token(client), "data": carried.group(1), "filename": "a.xlsx"},
    )
    assert applied.status_code == 200 and "2 件反映しました" in applied.get_data(as_text=True)
    with db.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001")
        assert mark is not None and (mark.status, mark.note) == ("workflow_change", "窓口で対応")
        history = mark_queries.mark_history(session=session, function_id="0010001")
        assert history[-1].source == "xlsx"


def colleague_saves(
    db: Database, function_id: str, status: Status, version: int, by: str = "colleague"
) -> None:
    """Someone else changes ishii's mark on the web."""
    with db.write() as session:
        mark_queries.save_mark(
            session=session,
            town_id="ishii",
            function_id=function_id,
            status=status,
            note="同僚の判断",
            cost=None,
            expected_version=version,
            changed_by=by,
        )


def apply_form(client: FlaskClient, page: str, **answers: str) -> dict[str, str]:
    """The preview's apply form as sent: the file, the versions shown and the answers."""
    form = {"csrf_token": csrf_token(client), "filename": "石井町.xlsx"}
    for name in ("data", *re.findall(r'name="(seen-[^"]+)"', page)):
        found = re.search(rf'name="{name}" value="([^"]+)"', page)
        assert found is not None, name
        form[name] = found.group(1)
    form.update({f"take-{function_id}": choice for function_id, choice in answers.items()})
    return form


def current(db: Database, function_id: str) -> tuple[str, str | None, int]:
    with db.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id=function_id)
        assert mark is not None
        return mark.status, mark.note, mark.version


def test_bad_sheet_changes_nothing(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    status, page = post_sheet(client, filled(client, {"0010002": ("たぶん", None)}))
    # 0010002 is the second function row, right under the header: its status cell is H9.
    assert status == 400 and "H9" in page and "たぶん" in page and "9 行目" in page
    assert "石井町.xlsx[" not in page  # the cell and row, not the file's internals


def test_a_stale_row_is_resolved_both_ways_and_applied(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    make_marks(files, "ishii", {"0010001": "fit", "0010002": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    data = filled(
        client,
        {
            "0010001": ("カスタマイズ", "独自様式"),
            "0010002": ("業務見直し", "窓口で対応"),
            "0010003": ("適合", None),
        },
    )
    # Colleagues change two of the marks on the web after the download.
    colleague_saves(db, "0010001", Status.WORKFLOW_CHANGE, 1)
    colleague_saves(db, "0010002", Status.NOT_APPLICABLE, 1)
    status, page = post_sheet(client, data)
    assert status == 200 and page.count("出力後に colleagueが変更（") == 2
    assert "機能1" in page and "機能2" in page  # names beside the ids
    assert 'name="seen-0010001" value="2"' in page and 'name="take-0010002"' in page
    assert 'name="seen-0010003"' not in page  # no conflict, nothing to choose
    # Without an answer for every conflict nothing is saved and the choice is asked again.
    form = apply_form(client, page, **{"0010001": "sheet"})
    refused = client.post(f"{BASE}/apply", data=form)
    assert refused.status_code == 422 and "残す判定を選んでください" in refused.get_data(True)
    assert 'value="sheet" checked' in refused.get_data(True)  # the answer given stays chosen
    with db.session() as session:
        assert (
            mark_queries.get_mark(session=session, town_id="ishii", function_id="0010003") is None
        )
    form = apply_form(client, page, **{"0010001": "sheet", "0010002": "theirs"})
    applied = client.post(f"{BASE}/apply", data=form)
    text = applied.get_data(as_text=True)
    assert applied.status_code == 200, text
    assert "2 件反映しました" in text and "1 件は、いまの判定のまま残しました" in text
    assert current(db, "0010001") == ("customization", "独自様式", 3)  # the sheet's, over theirs
    assert current(db, "0010002") == ("not_applicable", "同僚の判断", 2)  # theirs kept
    assert current(db, "0010003")[0] == "fit"
    with db.session() as session:
        history = mark_queries.mark_history(session=session, function_id="0010001")
        assert [h.source for h in history][-1] == "xlsx"


def test_a_conflict_says_who_changed_the_mark_and_when_with_status_badges(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    data = filled(client, {"0010001": ("カスタマイズ", "独自様式"), "0010002": ("適合", None)})
    colleague_saves(db, "0010001", Status.WORKFLOW_CHANGE, 1, by="石井町 職員（ishii-2）")
    with db.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001")
        assert mark is not None
        when = local_time(mark.updated_at)  # Japan time, as everywhere in the app
    status, page = post_sheet(client, data)
    assert status == 200
    conflict = page.split('id="change-0010001"', 1)[1].split("</tbody>", 1)[0]
    assert f"出力後に 石井町 職員（ishii-2）が変更（{when}）" in conflict
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", when)
    # Both statuses as the app's coloured badges, with the word inside.
    assert '<span class="badge status-workflow_change">業務見直し</span>' in conflict
    assert '<span class="badge status-customization">カスタマイズ</span>' in conflict
    # A row without a conflict names nobody; its statuses are badges too.
    plain = page.split('id="change-0010002"', 1)[1].split("</tbody>", 1)[0]
    assert "出力後に" not in plain and '<span class="badge status-fit">適合</span>' in plain
    english = client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    assert english.status_code in (302, 303)
    status, page = post_sheet(client, data)
    assert f"Changed by 石井町 職員（ishii-2） after the export ({when})" in page


def test_a_change_between_preview_and_apply_is_refused(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    data = filled(client, {"0010001": ("業務見直し", "窓口で対応"), "0010002": ("適合", None)})
    colleague_saves(db, "0010001", Status.NOT_APPLICABLE, 1)
    status, page = post_sheet(client, data)
    assert status == 200 and 'name="seen-0010001" value="2"' in page
    # The colleague changes the mark again while the preview is open.
    colleague_saves(db, "0010001", Status.CUSTOMIZATION, 2)
    refused = client.post(f"{BASE}/apply", data=apply_form(client, page, **{"0010001": "sheet"}))
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "確認画面を表示したあとに" in text and "0010001 機能1" in text and "何も反映して" in text
    assert 'name="seen-0010001" value="3"' in text and "checked" not in text  # choose again
    assert current(db, "0010001") == ("customization", "同僚の判断", 3)
    with db.session() as session:  # all or nothing: the row without a conflict waits too
        assert (
            mark_queries.get_mark(session=session, town_id="ishii", function_id="0010002") is None
        )
    # A row without a conflict at the preview that changes before the apply is refused too.
    status, page = post_sheet(client, data)
    colleague_saves(db, "0010002", Status.FIT, 0)
    again = client.post(f"{BASE}/apply", data=apply_form(client, page, **{"0010001": "theirs"}))
    assert again.status_code == 409 and "0010002 機能2" in again.get_data(as_text=True)
    # Answered on what is now there, the sheet applies.
    page = again.get_data(as_text=True)
    form = apply_form(client, page, **{"0010001": "theirs", "0010002": "sheet"})
    done = client.post(f"{BASE}/apply", data=form)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert current(db, "0010001")[0] == "customization" and current(db, "0010002")[0] == "fit"


def test_the_preview_shows_names_costs_and_notes(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    make_marks(
        files,
        "ishii",
        {
            "0010001": {
                "status": "customization",
                "note": "独自の様式が必要",
                "cost": {"initial_yen": 1_000_000, "annual_yen": 100_000},
            }
        },
    )
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    response = client.get(f"{BASE}.xlsx")
    book = openpyxl.load_workbook(BytesIO(response.data))
    sheet = book.worksheets[0]
    sheet.cell(HEADER_ROW + 1, COL_NOTE).value = "独自の様式が必要（帳票2種）"
    sheet.cell(HEADER_ROW + 1, COL_INITIAL).value = 1_200_000
    buffer = BytesIO()
    book.save(buffer)
    status, page = post_sheet(client, buffer.getvalue())
    assert status == 200 and "機能1" in page
    assert "初期費用" in page and "1,000,000円" in page and "1,200,000円" in page
    assert "年間費用" not in page.split("<tbody", 1)[1]  # unchanged: not listed
    assert "独自の様式が必要" in page and "独自の様式が必要（帳票2種）" in page
    assert "判定</th>" not in page.split("<tbody", 1)[1]  # the status stays: no status line


def test_a_customization_needs_a_reason_in_the_sheet(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    status, page = post_sheet(client, filled(client, {"0010002": ("カスタマイズ", None)}))
    assert status == 400
    assert "I9" in page and "0010002 機能2" in page and "理由" in page
    with db.session() as session:
        assert (
            mark_queries.get_mark(session=session, town_id="ishii", function_id="0010002") is None
        )


def test_a_wrong_file_is_told_plainly(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    status, page = post_sheet(client, b"x")
    assert status == 400 and "Excel の判定シート（.xlsx）として読めませんでした" in page
    book = openpyxl.Workbook()
    buffer = BytesIO()
    book.save(buffer)
    status, page = post_sheet(client, buffer.getvalue())
    assert status == 400 and "fitgap からダウンロードした判定シートではありません" in page
    with db.session() as session:
        other = sheet_bytes(session=session, town_id="naka", area_id="juki")
    status, page = post_sheet(client, other)
    assert status == 400 and "このファイルは 那賀町 の判定シートです" in page
    assert "判定シートをダウンロード" in page and "石井町・業務juki の判定シート" in page
    assert ".xlsx:0" not in page and "_fitgap" not in page and "naka" not in page
    make_catalog(files, "kokuho", count=2, prefix="002")
    assert fitgap("load").exit_code == 0
    with db.session() as session:
        other = sheet_bytes(session=session, town_id="ishii", area_id="kokuho")
    status, page = post_sheet(client, other)
    assert status == 400 and "業務「業務kokuho」の判定シートです" in page


def test_another_towns_sheet_cannot_be_uploaded(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    response = client.post(
        "/areas/juki/towns/naka/sheet",
        data={"csrf_token": csrf_token(client), "file": (BytesIO(b"x"), "a.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
