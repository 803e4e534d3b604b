"""The vendor: the open requests, answering on the web and in the answer sheet (a round trip
with a conflict), a town accepting an answer, and where the answers show."""

from __future__ import annotations

import base64
import re
from datetime import date
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fitgap.domain.files.answer_sheet import (
    COL_ANNUAL,
    COL_DETAIL,
    COL_ID,
    COL_INITIAL,
    COL_KIND,
    HEADER_ROW,
)
from fitgap.domain.files.yamlfile import InvalidInput
from fitgap.domain.meetings.minutes import DecisionDraft, TownVerdict, to_csv, to_markdown
from fitgap.domain.values import AnswerKind, Cost, Outcome, Status
from fitgap.domain.vendor import VendorAnswer, answer_problems, one_line
from fitgap.services import meetings
from fitgap.services import vendor as vendor_service
from fitgap.store import accounts as account_queries
from fitgap.store import audit as audit_queries
from fitgap.store import marks as mark_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store import minutes as minutes_queries
from fitgap.store import vendor as vendor_queries
from fitgap.store.db import Database
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, csrf_token, sign_in

ACTOR = audit_queries.Actor(name="vendor", address=None)


@pytest.fixture
def requests_loaded(files: Path, fitgap: Invoke, db: Database) -> Database:
    """住民記録 with 4 functions: 0010001 wanted customized by 石井町 and 那賀町 (with reasons),
    0010002 by 石井町 only; 0010003 fit everywhere."""
    make_catalog(files, count=4)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(
        files,
        "ishii",
        {
            "0010001": {"status": "customization", "note": "帳票の様式が町独自のため"},
            "0010002": {
                "status": "customization",
                "note": "添付書類を紙で受け付けている",
                "cost": {"initial_yen": 800000, "annual_yen": 50000},
            },
            "0010003": "fit",
        },
    )
    make_marks(files, "naka", {"0010001": {"status": "customization", "note": "議会の要望"}})
    assert fitgap("marks", "import", "marks/ishii.yaml", "marks/naka.yaml").exit_code == 0
    return db


def _answer(db: Database, function_id: str, kind: AnswerKind, detail: str, **kw: object) -> int:
    with db.write() as session:
        saved = vendor_service.record_answer(
            session=session,
            answer=VendorAnswer(function_id, kind, detail, date(2025, 5, 1), **kw),  # type: ignore[arg-type]
            expected_id=(
                a.id
                if (a := vendor_queries.latest_answer(session=session, function_id=function_id))
                else 0
            ),
            source="web",
            actor=ACTOR,
        )
    return saved.id


# --- domain ----------------------------------------------------------------------------------


def test_an_answer_needs_its_detail_and_only_a_customization_an_estimate() -> None:
    assert answer_problems(AnswerKind.SETTING, "帳票設定で切替", None, None) == []
    assert answer_problems(AnswerKind.SETTING, " ", None, None) != []
    assert answer_problems(AnswerKind.SETTING, "x", None, Cost(1, 1)) != []
    assert answer_problems(AnswerKind.CUSTOMIZATION, "再テストが必要", None, None) != []
    assert answer_problems(AnswerKind.CUSTOMIZATION, "再テストが必要", None, Cost(1, 2)) == []
    line = one_line(
        VendorAnswer(
            "0010001",
            AnswerKind.CUSTOMIZATION,
            "改版ごとに\n再テスト",
            date.today(),
            cost=Cost(1200000, 150000),
        )
    )
    assert (
        line == "カスタマイズが必要 — 見積り 初期 1,200,000円 / 年 150,000円 — 改版ごとに 再テスト"
    )


# --- store -----------------------------------------------------------------------------------


def test_open_requests_name_the_towns_and_reasons(requests_loaded: Database) -> None:
    with requests_loaded.session() as session:
        requests = vendor_queries.open_requests(session=session)
    assert [r.function_id for r in requests] == ["0010001", "0010002"]
    first = requests[0]
    assert [(t.town_name, t.note) for t in first.towns] == [
        ("石井町", "帳票の様式が町独自のため"),
        ("那賀町", "議会の要望"),
    ]
    assert requests[1].towns[0].cost == Cost(800000, 50000)


def test_answers_are_insert_only_and_a_newer_one_supersedes(requests_loaded: Database) -> None:
    db = requests_loaded
    first = _answer(db, "0010001", AnswerKind.PROCEDURE, "窓口で案内する")
    second = _answer(db, "0010001", AnswerKind.SETTING, "帳票設定画面の様式切替で対応")
    with db.session() as session:
        latest = vendor_queries.latest_answers(session=session)
        assert latest["0010001"].id == second and latest["0010001"].kind is AnswerKind.SETTING
        history = vendor_queries.answer_history(session=session, function_id="0010001")
        assert [a.id for a in history] == [first, second]
    with db.write() as session, pytest.raises(vendor_queries.AnswerConflict):
        vendor_service.record_answer(
            session=session,
            answer=VendorAnswer("0010001", AnswerKind.STANDARD, "x", date.today()),
            expected_id=first,  # saw the first answer: someone answered since
            source="web",
            actor=ACTOR,
        )
    for statement in (
        "UPDATE vendor_answer SET detail = 'changed'",
        "DELETE FROM vendor_answer",
    ):
        with pytest.raises(DBAPIError), db.write() as session:
            session.execute(text(statement))


# --- accepting an answer ---------------------------------------------------------------------


def test_accepting_an_answer_changes_the_mark_with_the_answer_as_reason(
    requests_loaded: Database, client: FlaskClient
) -> None:
    db = requests_loaded
    answer_id = _answer(db, "0010002", AnswerKind.PROCEDURE, "紙の添付書類はスキャンしてPDFで添付")
    sign_in(client, db, "ishii", "staff", town="ishii")
    page = client.get("/functions/0010002").get_data(as_text=True)
    assert "運用で回避可" in page and "紙の添付書類はスキャンしてPDFで添付" in page
    assert "この回答を受け入れる（判定を「業務見直し」にする）" in page
    version = re.search(r'name="version" value="(\d+)"', page.split('id="vendor-answer"')[1])
    assert version is not None
    response = client.post(
        f"/functions/0010002/answers/{answer_id}/accept",
        data={"csrf_token": csrf_token(client), "version": version.group(1)},
    )
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
    with db.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010002")
        assert mark is not None
        assert (mark.status, mark.note) == ("workflow_change", "添付書類を紙で受け付けている")
        assert (mark.cost_initial_yen, mark.cost_annual_yen) == (None, None)
        last = mark_queries.mark_history(session=session, function_id="0010002")[-1]
        assert last.source == "vendor"
        assert last.reason is not None
        assert last.reason.startswith(f"ベンダー回答 No.{answer_id}（2025-05-01）を受け入れ")
        assert "運用で回避可 — 紙の添付書類はスキャンしてPDFで添付" in last.reason
        records = audit_queries.list_records(
            session=session, filters=audit_queries.AuditFilter(action="mark.changed")
        )
        assert records and records[0].details["source"] == "vendor"
    # Accepted once: the town no longer asks, so a second try is refused and changes nothing.
    again = client.post(
        f"/functions/0010002/answers/{answer_id}/accept",
        data={"csrf_token": csrf_token(client), "version": "2"},
    )
    assert again.status_code == 409


def test_an_answer_that_needs_a_customization_cannot_be_accepted(
    requests_loaded: Database, client: FlaskClient
) -> None:
    db = requests_loaded
    answer_id = _answer(
        db, "0010001", AnswerKind.CUSTOMIZATION, "改版のたびに再テスト", cost=Cost(1000000, 100000)
    )
    sign_in(client, db, "ishii", "staff", town="ishii")
    page = client.get("/functions/0010001").get_data(as_text=True)
    assert "この回答を受け入れる" not in page and "1,000,000円" in page
    refused = client.post(
        f"/functions/0010001/answers/{answer_id}/accept",
        data={"csrf_token": csrf_token(client), "version": "1"},
    )
    assert refused.status_code == 409
    with db.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001")
        assert mark is not None and mark.status == "customization"


# --- the vendor on the web -------------------------------------------------------------------


def test_the_vendor_answers_on_the_web_and_sees_no_town_notes_elsewhere(
    requests_loaded: Database, client: FlaskClient
) -> None:
    db = requests_loaded
    sign_in(client, db, "vendor", "vendor")
    listing = client.get("/vendor/requests").get_data(as_text=True)
    assert "帳票の様式が町独自のため" in listing and "議会の要望" in listing  # the reasons asked
    assert "要望 2 件のうち、回答済み 0 件・未回答 2 件" in listing
    # The function page shows the verdicts but no note.
    function_page = client.get("/functions/0010001").get_data(as_text=True)
    assert "帳票の様式が町独自のため" not in function_page
    assert "帳票の様式が町独自のため" not in client.get("/areas/juki").get_data(as_text=True)
    token = csrf_token(client, "/vendor/requests/0010001/answer")
    refused = client.post(
        "/vendor/requests/0010001/answer",
        data={"csrf_token": token, "kind": "customization", "detail": "改版ごとに再テスト"},
    )
    assert refused.status_code == 400
    assert "初期費用と年間費用の見積り" in refused.get_data(as_text=True)
    saved = client.post(
        "/vendor/requests/0010001/answer",
        data={
            "csrf_token": token,
            "kind": "setting",
            "detail": "帳票レイアウトは「帳票設定」画面の様式切替で対応",
            "text": "**様式B** を選びます<script>alert(1)</script>",
            "answered_on": "2025-06-02",
            "expected": "0",
        },
    )
    assert saved.status_code == 303
    listing = client.get("/vendor/requests").get_data(as_text=True)
    assert "設定で対応可" in listing and "回答済み 1 件" in listing
    page = client.get("/functions/0010001").get_data(as_text=True)
    assert "<strong>様式B</strong>" in page and "<script>alert(1)" not in page
    assert "令和7年6月2日" in page
    # A form opened before that answer is a conflict, not a silent overwrite.
    stale = client.post(
        "/vendor/requests/0010001/answer",
        data={
            "csrf_token": token,
            "kind": "standard",
            "detail": "標準の帳票で足ります",
            "expected": "0",
        },
    )
    assert stale.status_code == 409
    with db.session() as session:
        assert len(vendor_queries.answer_history(session=session, function_id="0010001")) == 1
        records = audit_queries.list_records(
            session=session, filters=audit_queries.AuditFilter(action="vendor.answered")
        )
        assert [r.target for r in records] == ["0010001"]


# --- the answer sheet ------------------------------------------------------------------------


def _sheet(client: FlaskClient) -> openpyxl.Workbook:
    response = client.get("/vendor/requests.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(BytesIO(response.data))


def _saved(book: openpyxl.Workbook) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rows(book: openpyxl.Workbook) -> dict[str, int]:
    sheet = book.worksheets[0]
    return {sheet.cell(r, COL_ID).value: r for r in range(HEADER_ROW + 1, sheet.max_row + 1)}


def _upload(client: FlaskClient, data: bytes, url: str = "/vendor/sheet") -> tuple[int, str]:
    response = client.post(
        url,
        data={"csrf_token": csrf_token(client), "file": (BytesIO(data), "回答.xlsx")},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def test_the_answer_sheet_is_protected_with_a_drop_down_and_hidden_metadata(
    requests_loaded: Database, client: FlaskClient
) -> None:
    sign_in(client, requests_loaded, "vendor", "vendor")
    book = _sheet(client)
    sheet = book.worksheets[0]
    assert sheet.protection.sheet is True
    assert book["_fitgap"].sheet_state == "veryHidden"
    rows = _rows(book)
    assert list(rows) == ["0010001", "0010002"]
    row = rows["0010001"]
    assert sheet.cell(row, COL_ID).protection.locked is True
    assert sheet.cell(row, COL_KIND).protection.locked is False
    assert sheet.cell(row, COL_ID).number_format == "@"
    lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert lists and "設定で対応可" in lists[0].formula1
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A3
    assert sheet.cell(row, 6).value == "石井町: 帳票の様式が町独自のため\n那賀町: 議会の要望"


def test_answer_sheet_round_trip_with_a_conflict(
    requests_loaded: Database, client: FlaskClient
) -> None:
    db = requests_loaded
    sign_in(client, db, "vendor", "vendor")
    book = _sheet(client)
    sheet = book.worksheets[0]
    rows = _rows(book)
    sheet.cell(rows["0010001"], COL_KIND).value = "設定で対応可"
    sheet.cell(rows["0010001"], COL_DETAIL).value = "帳票設定画面の様式切替で対応"
    sheet.cell(rows["0010002"], COL_KIND).value = "カスタマイズが必要"
    sheet.cell(rows["0010002"], COL_DETAIL).value = "改版ごとに再テストが必要"
    sheet.cell(rows["0010002"], COL_INITIAL).value = 1500000
    sheet.cell(rows["0010002"], COL_ANNUAL).value = "200,000円"
    data = _saved(book)
    status, page = _upload(client, data)
    assert status == 200 and "2 件の機能に回答を登録します" in page
    with db.session() as session:  # the preview stores nothing
        assert vendor_queries.latest_answers(session=session) == {}
    carried = re.search(r'name="data" value="([^"]+)"', page)
    assert carried is not None and base64.b64decode(carried.group(1)) == data
    # Meanwhile an answer on 0010002 comes in from the web: the upload must not overwrite it.
    _answer(db, "0010002", AnswerKind.PROCEDURE, "紙の添付書類はスキャンしてPDFで添付")
    applied = client.post(
        "/vendor/sheet/apply",
        data={"csrf_token": csrf_token(client), "data": carried.group(1), "filename": "a.xlsx"},
    )
    assert applied.status_code == 409
    assert "出力後に別の回答が登録済み" in applied.get_data(as_text=True)
    with db.session() as session:  # all or nothing: not even 0010001
        latest = vendor_queries.latest_answers(session=session)
        assert set(latest) == {"0010002"} and latest["0010002"].kind is AnswerKind.PROCEDURE
    # A fresh sheet, filled again, goes through.
    book = _sheet(client)
    rows = _rows(book)
    assert book.worksheets[0].cell(rows["0010002"], COL_KIND).value == "運用で回避可"
    book.worksheets[0].cell(rows["0010001"], COL_KIND).value = "設定で対応可"
    book.worksheets[0].cell(rows["0010001"], COL_DETAIL).value = "帳票設定画面の様式切替で対応"
    status, page = _upload(client, _saved(book))
    assert status == 200 and "1 件の機能に回答を登録します" in page
    carried = re.search(r'name="data" value="([^"]+)"', page)
    assert carried is not None
    applied = client.post(
        "/vendor/sheet/apply",
        data={"csrf_token": csrf_token(client), "data": carried.group(1), "filename": "b.xlsx"},
    )
    assert applied.status_code == 200
    with db.session() as session:
        latest = vendor_queries.latest_answers(session=session)
        assert latest["0010001"].kind is AnswerKind.SETTING
        assert latest["0010001"].answered_by.endswith("（vendor）")


def test_a_wrong_answer_sheet_is_refused_with_the_cell_and_nothing_is_stored(
    requests_loaded: Database, client: FlaskClient
) -> None:
    db = requests_loaded
    sign_in(client, db, "vendor", "vendor")
    book = _sheet(client)
    sheet = book.worksheets[0]
    rows = _rows(book)
    sheet.cell(rows["0010001"], COL_KIND).value = "設定で対応可"
    sheet.cell(rows["0010001"], COL_DETAIL).value = "帳票設定"
    sheet.cell(rows["0010002"], COL_KIND).value = "たぶん大丈夫"
    sheet.cell(rows["0010002"] + 1, COL_ID).value = "0010009"  # an added row
    status, page = _upload(client, _saved(book))
    assert status == 400
    assert f"G{rows['0010002']}: 回答 たぶん大丈夫 は使えません" in page
    assert f"A{rows['0010002'] + 1}: fitgap が出力した行ではありません" in page
    with db.session() as session:
        assert vendor_queries.latest_answers(session=session) == {}


def test_the_command_line_writes_and_imports_the_answer_sheet(
    requests_loaded: Database, fitgap: Invoke, files: Path
) -> None:
    out = files / "answers.xlsx"
    assert fitgap("vendor", "requests", "--out", str(out)).exit_code == 0
    assert fitgap("vendor", "requests", "--out", str(out)).exit_code == 1  # no silent overwrite
    book = openpyxl.load_workbook(out)
    rows = _rows(book)
    book.worksheets[0].cell(rows["0010002"], COL_KIND).value = "運用で回避可"
    book.worksheets[0].cell(
        rows["0010002"], COL_DETAIL
    ).value = "紙の添付書類はスキャンしてPDFで添付"
    book.save(out)
    dry = fitgap("vendor", "import-xlsx", str(out), "--dry-run")
    assert dry.exit_code == 0 and "0010002" in dry.output
    with requests_loaded.session() as session:
        assert vendor_queries.latest_answers(session=session) == {}
    done = fitgap("vendor", "import-xlsx", str(out))
    assert done.exit_code == 0, done.output
    with requests_loaded.session() as session:
        answer = vendor_queries.latest_answers(session=session)["0010002"]
        assert (answer.kind, answer.answered_by) == (AnswerKind.PROCEDURE, "vendor")


def test_preview_reads_the_sheet_through_the_hardened_reader(requests_loaded: Database) -> None:
    with requests_loaded.session() as session, pytest.raises(InvalidInput) as refused:
        vendor_service.preview_answer_sheet(
            session=session, source=b"PK\x03\x04 not a zip", display="x.xlsx", today=date.today()
        )
    assert refused.value.problems[0].file == "x.xlsx"


# --- where the answers show ------------------------------------------------------------------


def test_the_minutes_and_the_meeting_item_show_the_answer(
    requests_loaded: Database, client: FlaskClient
) -> None:
    db = requests_loaded
    _answer(db, "0010001", AnswerKind.SETTING, "帳票レイアウトは「帳票設定」画面の様式切替で対応")
    with db.write() as session:
        meeting = meetings.create_meeting(
            session=session,
            data=meeting_queries.MeetingInput(
                area_id="juki", held_on=date(2025, 6, 10), moderator="山本"
            ),
        )
        assert meeting.id is not None
        item = next(
            i
            for i in meeting_queries.agenda(session=session, meeting_id=meeting.id)
            if i.function_id == "0010001"
        )
        assert item.id is not None
        verdicts = tuple(
            TownVerdict(t, Status.FIT, None)
            for t in ("ishii", "kamiyama", "naka", "higashimiyoshi")
        )
        meetings.record_decision(
            session=session,
            meeting_id=meeting.id,
            item_id=item.id,
            draft=DecisionDraft(outcome=Outcome.ALL_FIT, verdicts=verdicts, summary="設定で対応"),
            supersedes_id=None,
            actor=ACTOR,
        )
        meeting_queries.set_current(session=session, meeting_id=meeting.id, item_id=item.id)
        meeting_id = meeting.id
    expected = "設定で対応可 — 帳票レイアウトは「帳票設定」画面の様式切替で対応"
    with db.session() as session:
        minutes = minutes_queries.gather_minutes(session=session, meeting_id=meeting_id)
    assert f"- ベンダー回答：{expected}" in to_markdown(minutes)
    assert expected in to_csv(minutes).decode("utf-8-sig")
    sign_in(client, db, "moderator", "moderator")
    assert expected in client.get(f"/meetings/{meeting_id}/minutes").get_data(as_text=True)
    room = client.get(f"/meetings/{meeting_id}/room").get_data(as_text=True)
    assert "ベンダー回答" in room and "帳票レイアウトは「帳票設定」画面の様式切替で対応" in room


def test_the_vendor_downloads_the_decision_log_and_the_matrix_but_nothing_else(
    requests_loaded: Database, client: FlaskClient
) -> None:
    db = requests_loaded
    _answer(db, "0010001", AnswerKind.SETTING, "帳票設定で切替")
    sign_in(client, db, "vendor", "vendor")
    listing = client.get("/vendor/requests").get_data(as_text=True)
    exports = listing.split('id="vendor-exports"', 1)[1].split("</section>", 1)[0]
    links = re.findall(r'href="([^"]+)"', exports)
    assert "Fit&Gap表の理由は、カスタマイズを要望している町の理由だけです" in exports
    assert links == [
        "/minutes/decisions.md",
        "/minutes/decisions.csv",
        "/minutes/decisions.xlsx",
        "/matrix.xlsx",
        "/matrix.csv",
    ]
    for link in links:
        with client.get(link) as response:  # closed: the matrix streams from a spool file
            assert response.status_code == 200, link
    with client.get("/areas/juki/matrix.csv") as area:
        assert area.status_code == 200
        assert "帳票設定で切替" in area.data.decode("utf-8-sig")  # its answer, in the matrix
    # Read-only files only: the project's pages and the marking sheets stay closed.
    for refused in (
        "/minutes",
        "/meetings",
        "/dashboard",
        "/areas/juki/towns/ishii/sheet.xlsx",
        "/admin/audit",
    ):
        assert client.get(refused).status_code == 403, refused
    # Staff see no such block on the requests page (they have their own ways to the files).
    sign_in(client, db, "ishii", "staff", town="ishii")
    assert 'id="vendor-exports"' not in client.get("/vendor/requests").get_data(as_text=True)


def test_latest_answers_feed_the_matrix_in_one_line(requests_loaded: Database) -> None:
    db = requests_loaded
    _answer(db, "0010002", AnswerKind.PROCEDURE, "紙の添付書類は\nスキャンしてPDFで添付")
    with db.session() as session:
        lines = {f: one_line(a) for f, a in vendor_queries.latest_answers(session=session).items()}
    assert lines == {"0010002": "運用で回避可 — 紙の添付書類は スキャンしてPDFで添付"}


def test_a_vendor_account_is_made_on_the_command_line_without_a_town(
    requests_loaded: Database, fitgap: Invoke
) -> None:
    typed = "Strong-Pass-2026\nStrong-Pass-2026\n"
    with_town = fitgap(
        "user", "add", "v2", "--name", "x", "--role", "vendor", "--town", "ishii", input=typed
    )
    assert (
        with_town.exit_code == 1 and "ベンダーのアカウントには町を指定しません" in with_town.output
    )
    added = fitgap("user", "add", "v1", "--name", "導入担当", "--role", "vendor", input=typed)
    assert added.exit_code == 0, added.output
    with requests_loaded.session() as session:
        made = account_queries.get_by_login(session=session, login="v1")
        assert made is not None and (made.role, made.town_id) == ("vendor", None)
