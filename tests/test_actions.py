"""Following up action items between meetings: reporting one done (who may), the open list
(overdue first), the items a meeting carries over (console, agenda page, minutes), decisions
numbered within their meeting, and the console following changes made elsewhere."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from fitgap.domain.meetings.actions import ActionEntry, chase_order
from fitgap.domain.meetings.minutes import ActionDraft, DecisionDraft, TownVerdict
from fitgap.domain.values import Outcome, Status
from fitgap.domain.wareki import japan_today
from fitgap.services import meetings
from fitgap.store import actions as action_queries
from fitgap.store import marks as mark_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store.audit import Actor
from fitgap.store.db import Database
from fitgap.store.models import ActionItem, ActionItemStatus, AuditRecord, Decision
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, csrf_token, moderate, sign_in

TOWNS = ("ishii", "kamiyama", "naka", "higashimiyoshi")
TODAY = japan_today()


@pytest.fixture
def project(files: Path, fitgap: Invoke) -> Path:
    """Four functions of 住民記録 (juki), four towns; ishii wants a customization of 0010001."""
    make_catalog(files, count=4)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    marks: dict[str, dict[str, str | dict[str, object]]] = {
        town: {f"001000{n}": "fit" for n in range(1, 5)} for town in TOWNS
    }
    marks["ishii"]["0010001"] = {"status": "customization", "note": "独自様式"}
    marks["kamiyama"]["0010002"] = "workflow_change"
    marks["naka"]["0010003"] = "customization"
    paths = [str(make_marks(files, town, m)) for town, m in marks.items()]
    assert fitgap("marks", "import", *paths).exit_code == 0
    return files


def new_meeting(db: Database, held_on: date, functions: tuple[str, ...] = ()) -> int:
    data = meeting_queries.MeetingInput(area_id="juki", held_on=held_on, moderator="山本")
    with db.write() as session:
        meeting = meetings.create_meeting(session=session, data=data)
        assert meeting.id is not None
        proposed = {
            i.function_id for i in meeting_queries.agenda(session=session, meeting_id=meeting.id)
        }
        for function_id in set(functions) - proposed:
            meeting_queries.add_item(
                session=session, meeting_id=meeting.id, function_id=function_id
            )
        return meeting.id


def item_of(db: Database, meeting_id: int, function_id: str) -> int:
    with db.session() as session:
        items = meeting_queries.agenda(session=session, meeting_id=meeting_id)
    return next(i.id for i in items if i.function_id == function_id and i.id is not None)


def decide(
    db: Database,
    meeting_id: int,
    function_id: str,
    actions: tuple[ActionDraft, ...] = (),
    supersedes: int | None = None,
    outcome: Outcome = Outcome.POSTPONED,
) -> Decision:
    verdicts = tuple(TownVerdict(t, Status.UNDECIDED) for t in TOWNS)
    draft = DecisionDraft(outcome, summary="次回に確認", verdicts=verdicts, actions=actions)
    with db.write() as session:
        return meetings.record_decision(
            session=session,
            actor=Actor(name="test", address=None),
            meeting_id=meeting_id,
            item_id=item_of(db, meeting_id, function_id),
            draft=draft,
            supersedes_id=supersedes,
        )


def action_ids(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {a.what: a.id for a in session.scalars(select(ActionItem)) if a.id is not None}


def post(client: FlaskClient, url: str, data: dict[str, str], **kw: Any) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/actions")}, **kw)


@pytest.fixture
def first_meeting(project: Path, db: Database) -> int:
    """The first meeting: three action items (石井町 overdue, 那賀町 later, the group's)."""
    meeting = new_meeting(db, date(2025, 4, 1))
    decide(
        db,
        meeting,
        "0010001",
        (
            ActionDraft("様式を見直す", "ishii", TODAY - timedelta(days=10)),
            ActionDraft("例規を確認する", "naka", TODAY + timedelta(days=30)),
            ActionDraft("ベンダーに照会する", None, None),
        ),
    )
    return meeting


# --- reporting an item done: who may -------------------------------------------------------------


def test_own_towns_staff_mark_their_item_done_with_a_note_audited(
    first_meeting: int, db: Database, client: FlaskClient
) -> None:
    ids = action_ids(db)
    sign_in(client, db, "ishii-staff", town="ishii")
    url = f"/actions/{ids['様式を見直す']}/status"
    assert client.post(url, data={"done": "1"}).status_code == 400  # no CSRF token
    answer = post(client, url, {"done": "1", "note": "新様式を4月に施行", "by": "town"})
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).text
    assert "対応事項「様式を見直す」を完了にしました。" in page
    with db.session() as session:
        found = action_queries.entry(session=session, action_id=ids["様式を見直す"])
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "action.done")
        ).one()
    assert found is not None and found.done and found.state is not None
    assert found.state.note == "新様式を4月に施行" and "ishii-staff" in found.state.recorded_by
    assert record.actor == "ishii-staff" and record.target == f"action:{ids['様式を見直す']}"
    assert record.details["town"] == "ishii" and record.details["note"] == "新様式を4月に施行"
    # The same report again writes nothing (a retried request).
    assert post(client, url, {"done": "1"}).status_code == 303
    with db.session() as session:
        assert len(session.scalars(select(ActionItemStatus)).all()) == 1
    # Reopening needs a reason.
    refused = post(client, url, {"done": "0"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "再開する理由を入力してください" in refused.text
    assert post(client, url, {"done": "0", "note": "施行が延期"}).status_code == 303
    with db.session() as session:
        again = action_queries.entry(session=session, action_id=ids["様式を見直す"])
        actions = [r.action for r in session.scalars(select(AuditRecord))]
    assert again is not None and not again.done
    assert actions.count("action.reopened") == 1


def test_another_towns_staff_are_refused_and_the_moderator_may(
    first_meeting: int, db: Database, client: FlaskClient, app: Any
) -> None:
    ids = action_ids(db)
    sign_in(client, db, "naka-staff", town="naka")
    assert post(client, f"/actions/{ids['様式を見直す']}/status", {"done": "1"}).status_code == 403
    # The group's items are the moderator's to follow up.
    assert (
        post(client, f"/actions/{ids['ベンダーに照会する']}/status", {"done": "1"}).status_code
        == 403
    )
    assert post(client, "/actions/999999/status", {"done": "1"}).status_code == 404
    own = post(
        client,
        f"/actions/{ids['例規を確認する']}/status",
        {"done": "1"},
        headers={"HX-Request": "true"},
    )
    assert own.status_code == 200 and 'id="actions-body"' in own.text
    assert "対応事項「例規を確認する」を完了にしました。" in own.text  # announced (#live)
    observer = app.test_client()
    sign_in(observer, db, "observer", "observer")
    assert (
        post(observer, f"/actions/{ids['様式を見直す']}/status", {"done": "1"}).status_code == 403
    )
    moderator = app.test_client()
    moderate(moderator)
    for what in ("様式を見直す", "ベンダーに照会する"):
        answer = post(moderator, f"/actions/{ids[what]}/status", {"done": "1", "note": "確認済み"})
        assert answer.status_code == 303
    with db.session() as session:
        done = [e.what for e in action_queries.entries(session=session) if e.done]
    assert sorted(done) == sorted(["様式を見直す", "例規を確認する", "ベンダーに照会する"])


def test_the_status_log_is_insert_only(
    first_meeting: int, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    ids = action_ids(db)
    post(client, f"/actions/{ids['様式を見直す']}/status", {"done": "1"})
    for statement in (
        "UPDATE action_item_status SET done = false",
        "DELETE FROM action_item_status",
    ):
        with pytest.raises(DBAPIError), db.write() as session:
            session.execute(text(statement))


# --- the open list -------------------------------------------------------------------------------


def test_overdue_items_come_first() -> None:
    def entry(n: int, due: date | None, held_on: date = date(2025, 4, 1)) -> ActionEntry:
        return ActionEntry(
            id=n,
            what=f"item {n}",
            town_id=None,
            due_on=due,
            position=n,
            meeting_id=1,
            held_on=held_on,
            area_id="juki",
            area_name="住民記録",
            meeting_title="",
            decision_id=1,
            decision_number=1,
            function_id="0010001",
            function_name="x",
        )

    today = date(2025, 6, 1)
    items = [
        entry(1, None),
        entry(2, date(2025, 7, 1)),
        entry(3, date(2025, 5, 20)),
        entry(4, date(2025, 6, 1)),  # due today: not overdue yet
        entry(5, date(2025, 4, 10)),
    ]
    assert [e.id for e in chase_order(items, today)] == [5, 3, 4, 2, 1]
    assert [e.overdue(today) for e in items] == [False, False, True, False, True]


def test_the_open_items_page_per_town_and_per_meeting(
    first_meeting: int, db: Database, client: FlaskClient
) -> None:
    second = new_meeting(db, date(2025, 5, 1), ("0010002",))
    decide(
        db, second, "0010002", (ActionDraft("手順書を作る", "ishii", TODAY + timedelta(days=5)),)
    )
    sign_in(client, db, "ishii-staff", town="ishii")
    assert "未完了の対応事項" in client.get("/meetings").text  # reachable from the meetings
    page = client.get("/actions").text
    assert "未完了 4 件（うち期限切れ 1 件）" in page
    ishii = page[page.index('id="town-ishii"') : page.index('id="town-naka"')]
    # Overdue first, clearly labelled in words; the staff's own town highlighted.
    assert ishii.index("期限切れ") < ishii.index("様式を見直す") < ishii.index("手順書を作る")
    assert "own-town-group" in page[: page.index('id="town-ishii"') + 200]
    assert "（自町）" in ishii
    due = TODAY - timedelta(days=10)
    assert f"令和{due.year - 2018}年{due.month}月{due.day}日" in ishii  # 和暦
    assert "令和7年4月1日 業務juki 決定 #1" in ishii and "令和7年5月1日 業務juki 決定 #1" in ishii
    # Their own items carry the form; the others' do not.
    naka = page[page.index('id="town-naka"') :]
    assert 'name="note"' in ishii
    assert "担当の町の職員または進行役が報告します。" in naka.split('id="town-all"')[0]
    by_meeting = client.get("/actions?by=meeting").text
    assert by_meeting.index(f'id="meeting-{first_meeting}"') < by_meeting.index(
        f'id="meeting-{second}"'
    )
    assert 'aria-current="page">会議ごと' in by_meeting


# --- carried over into the next meeting -----------------------------------------------------


def test_the_next_meeting_carries_the_open_items_into_its_console_page_and_minutes(
    first_meeting: int, db: Database, client: FlaskClient
) -> None:
    ids = action_ids(db)
    # 例規を確認する was done before the next meeting's day: not carried over.
    with db.write() as session:
        session.add(
            ActionItemStatus(
                action_item_id=ids["例規を確認する"],
                done=True,
                note="確認済み",
                recorded_by="naka",
                recorded_at=datetime.now(UTC) - timedelta(days=3),
            )
        )
    second = new_meeting(db, TODAY, ("0010004",))
    moderate(client)
    console = client.get(f"/meetings/{second}/console").text
    carried = console[console.index('id="carried"') : console.index('id="agenda"')]
    assert "前回からの持ち越し対応事項" in carried and "未完了 2 件 / 2 件" in carried
    assert carried.index("様式を見直す") < carried.index("ベンダーに照会する")  # overdue first
    assert "例規を確認する" not in carried
    assert "令和7年4月1日 業務juki 決定 #1" in carried
    # A long list scrolls in its own box that the keyboard can reach, the agenda stays in view.
    assert '<div class="carried-scroll" tabindex="0" role="region" aria-label=' in carried
    # Reported done in the meeting: it stays on the list, done.
    answer = post(
        client,
        f"/actions/{ids['様式を見直す']}/status",
        {"done": "1", "note": "施行済み", "meeting": str(second)},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200 and 'id="console-body"' in answer.text
    assert "未完了 1 件 / 2 件" in answer.text and "施行済み" in answer.text
    show = client.get(f"/meetings/{second}").text
    assert "前回からの持ち越し対応事項" in show and "ベンダーに照会する" in show
    markdown = client.get(f"/meetings/{second}/minutes.md").text
    lines = markdown.splitlines()
    section = lines[lines.index("### 前回からの持ち越し対応事項") :]
    assert any(
        line.startswith("- 石井町：様式を見直す")
        and "令和7年4月1日の会議の決定 #1（0010001 機能1）" in line
        and line.endswith("会議の日までに完了：施行済み")
        for line in section
    )
    assert any(
        line.startswith("- 全体：ベンダーに照会する") and "未完了" in line for line in section
    )
    assert "例規を確認する" not in markdown
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/meetings/{second}/minutes.csv").data.decode("utf-8-sig"), newline=""
            )
        )
    )
    assert ["前回からの持ち越し対応事項"] in rows
    assert any(r[2:3] == ["ベンダーに照会する"] for r in rows)
    book = load_workbook(io.BytesIO(client.get(f"/meetings/{second}/minutes.xlsx").data))
    sheet = book["持ち越し対応事項"]
    assert [c.value for c in sheet[1]][:5] == ["会議の開催日", "担当", "内容", "期限", "元の決定"]
    assert sheet.max_row == 3
    # The first meeting carried nothing over.
    assert "持ち越し" not in client.get(f"/meetings/{first_meeting}/minutes.md").text
    # A meeting of another area carries nothing of 住民記録 over: covered by `earlier`.


# --- decisions numbered within their meeting -----------------------------------------------------


def test_a_meetings_decisions_are_numbered_from_one(
    first_meeting: int, db: Database, client: FlaskClient
) -> None:
    second = new_meeting(db, date(2025, 5, 1), ("0010002", "0010003"))
    first_here = decide(db, second, "0010002")
    decide(db, second, "0010003", outcome=Outcome.ALL_FIT)
    assert first_here.id == 2  # the table's id goes on ...
    moderate(client)
    console = client.get(f"/meetings/{second}/console?item={item_of(db, second, '0010002')}").text
    assert "決定 #1" in console and "決定 #2" in console and "決定 #3" not in console
    markdown = client.get(f"/meetings/{second}/minutes.md").text
    assert "#### 決定 #1 0010002" in markdown and "#### 決定 #2 0010003" in markdown
    assert "| 2 | 0010003 | 機能3 | 決定 #2 全町が適合 |" in markdown.splitlines()
    # ... while people read the number within the meeting, in the marks' history too.
    with db.session() as session:
        history = mark_queries.mark_history(session=session, function_id="0010003")
    reasons = {h.reason for h in history if h.source == "decision"}
    assert reasons == {"会議 令和7年5月1日 業務juki 決定 #2: 全町が適合"}
    # A decision of an earlier meeting is named with its meeting's day.
    again = new_meeting(db, date(2025, 6, 1), ("0010001",))
    console = client.get(f"/meetings/{again}/console?item={item_of(db, again, '0010001')}").text
    assert "令和7年4月1日の会議の決定 #1" in console


# --- the console follows changes made elsewhere --------------------------------------------------


def test_the_console_poll_answers_204_until_something_changes(
    first_meeting: int, db: Database, client: FlaskClient
) -> None:
    second = new_meeting(db, TODAY, ("0010002", "0010003"))
    moderate(client)
    item = item_of(db, second, "0010002")
    console = client.get(f"/meetings/{second}/console?item={item}").text
    found = re.search(r'id="console-watch"[^>]*hx-get="([^"]+)"', console)
    assert found is not None
    url = found.group(1).replace("&amp;", "&")
    quiet = client.get(url)
    assert quiet.status_code == 204 and quiet.headers["Cache-Control"] == "no-store"
    decide(db, second, "0010002")  # a second moderator, elsewhere
    changed = client.get(url)
    assert changed.status_code == 200
    body = changed.text
    assert 'id="console-watch"' in body and url.split("v=")[1].split("&")[0] not in body
    for part in ("console-item", "decision-slot", "agenda-table", "carried"):
        assert re.search(rf'id="{part}"[^>]*hx-swap-oob="true"', body), part
    assert "決定 #1" in body and "ほかの画面での変更を反映しました。" in body
    # A town's report on a carried-over item moves the stamp too.
    new_url = re.search(r'hx-get="([^"]+)"', body)
    assert new_url is not None
    follow = new_url.group(1).replace("&amp;", "&")
    assert client.get(follow).status_code == 204
    town = client.application.test_client()
    sign_in(town, db, "ishii-staff", town="ishii")
    ids = action_ids(db)
    assert post(town, f"/actions/{ids['様式を見直す']}/status", {"done": "1"}).status_code == 303
    assert client.get(follow).status_code == 200
    # Paused (?live=0): no poll at all.
    assert 'id="console-watch"' not in client.get(f"/meetings/{second}/console?live=0").text
