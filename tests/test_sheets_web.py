"""The marking sheet on the web: download, fill in, upload, preview, apply all or nothing."""

from __future__ import annotations

import base64
import re
from io import BytesIO
from pathlib import Path

import openpyxl
from flask.testing import FlaskClient

from fitgap.domain.files.marking_sheet import COL_NOTE, COL_STATUS, HEADER_ROW
from fitgap.domain.values import Status
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, csrf_token, sign_in

BASE = "/areas/juki/towns/ishii/sheet"


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


def upload(client: FlaskClient, data: bytes) -> tuple[int, str]:
    response = client.post(
        BASE,
        data={"csrf_token": csrf_token(client), "file": (BytesIO(data), "石井町.xlsx")},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def test_upload_previews_then_applies(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    assert BASE in client.get("/areas/juki").get_data(as_text=True)  # linked from the grid
    data = filled(client, {"0010001": ("業務見直し", "窓口で対応"), "0010002": ("適合", None)})
    status, page = upload(client, data)
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


def test_bad_sheet_and_conflict_change_nothing(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepared(files, fitgap, client, db)
    status, page = upload(client, filled(client, {"0010002": ("たぶん", None)}))
    # 0010002 is the second function row, right under the header: its status cell is H9.
    assert status == 400 and "H9" in page and "たぶん" in page
    data = filled(client, {"0010001": ("カスタマイズ", "独自様式")})
    with db.write() as session:  # a colleague changes the same mark after the download
        mark_queries.save_mark(
            session=session,
            town_id="ishii",
            function_id="0010001",
            status=Status.WORKFLOW_CHANGE,
            note=None,
            cost=None,
            expected_version=1,
            changed_by="colleague",
        )
    status, page = upload(client, data)
    assert status == 200 and "出力後にほかの人が変更" in page and 'name="data"' not in page
    applied = client.post(
        f"{BASE}/apply",
        data={"csrf_token": csrf_token(client), "data": base64.b64encode(data).decode()},
    )
    assert applied.status_code == 409
    with db.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001")
        assert mark is not None and mark.status == "workflow_change"


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
