"""Joint meetings: agenda proposal, decisions and their effect on marks, live state, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from fitgap.domain.meetings.agenda import proposed_agenda
from fitgap.domain.meetings.minutes import ActionDraft
from fitgap.domain.values import Outcome, Status
from fitgap.services.scoring import scoreboard
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store import minutes as minutes_queries
from fitgap.store.db import Database
from fitgap.store.models import ActionItem, Decision, DecisionTown, MarkChange
from tests.factories import make_marks
from tests.helpers import REPO, Invoke, csrf_token, moderate
from tests.meetings import TOWNS, decide, item_of, new_meeting, post, record_sample

F, W, C, N = Status.FIT, Status.WORKFLOW_CHANGE, Status.CUSTOMIZATION, Status.NOT_APPLICABLE


def marks_of(db: Database, function_id: str) -> dict[str, tuple[str, str | None, int]]:
    with db.session() as session:
        found = catalog_queries.marks_for_functions(session=session, function_ids=[function_id])
    return {t: (m.status, m.note, m.version) for (t, _f), m in found.items()}


def history_of(db: Database, function_id: str) -> list[MarkChange]:
    with db.session() as session:
        return mark_queries.mark_history(session=session, function_id=function_id)


# --- the agenda ------------------------------------------------------------------------------


def test_agenda_is_ranked_by_the_risk_drop_then_other_divergences(
    meeting_project: Path, db: Database
) -> None:
    with db.session() as session:
        board = scoreboard(session=session, area_id="juki")
    assert proposed_agenda(board, "juki") == [
        "0010006",  # prohibited, 21 units
        "0010002",  # two towns, 12 units
        "0010001",  # one town, 7 units
        "0010003",  # no customization: fit against workflow change, by id
        "0010005",  # not applicable against fit
    ]
    assert proposed_agenda(board, "juki", exclude={"0010002"})[1] == "0010001"


def test_a_new_meeting_gets_the_proposal_without_functions_already_decided(
    meeting_project: Path, db: Database
) -> None:
    first = new_meeting(db)
    with db.session() as session:
        agenda = [i.function_id for i in meeting_queries.agenda(session=session, meeting_id=first)]
        people = meeting_queries.attendees(session=session, meeting_id=first)
    assert agenda == ["0010006", "0010002", "0010001", "0010003", "0010005"]
    assert [(a.town_id, a.name, a.role) for a in people] == [
        ("ishii", "佐藤", "住民課長"),
        (None, "山本", "コンサルタント"),
    ]
    decide(db, first, "0010001", Outcome.TOWN_EXCEPTION, justification="町条例")
    decide(db, first, "0010003", Outcome.POSTPONED, summary="次回に確認")
    second = new_meeting(db, held_on=date(2025, 5, 1))
    with db.session() as session:
        agenda = [i.function_id for i in meeting_queries.agenda(session=session, meeting_id=second)]
    # Decided: off the next agenda. Postponed: back on it.
    assert agenda == ["0010006", "0010002", "0010003", "0010005"]


def test_moderator_reorders_adds_drops_and_defers_items(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    first = item_of(db, meeting, "0010006")
    url = f"/meetings/{meeting}/agenda/{first}"
    assert client.post(url, data={"action": "down"}).status_code == 400  # no CSRF token
    assert post(client, url, data={"action": "down"}).status_code == 303
    assert post(client, url, data={"action": "later"}).status_code == 303
    decided = item_of(db, meeting, "0010001")
    decide(db, meeting, "0010001", Outcome.TOWN_EXCEPTION, justification="町条例")
    refused = post(client, f"/meetings/{meeting}/agenda/{decided}", data={"action": "drop"})
    assert refused.status_code == 422 and "決定が記録された議題は外せません" in refused.text
    dropped = item_of(db, meeting, "0010005")
    post(client, f"/meetings/{meeting}/agenda/{dropped}", data={"action": "drop"})
    assert (
        post(client, f"/meetings/{meeting}/agenda", data={"function_id": "0010004"}).status_code
        == 303
    )
    again = post(client, f"/meetings/{meeting}/agenda", data={"function_id": "0010004"})
    assert again.status_code == 422 and "すでに議題にあります" in again.text
    elsewhere = post(client, f"/meetings/{meeting}/agenda", data={"function_id": "9999999"})
    assert elsewhere.status_code == 422
    with db.session() as session:
        items = meeting_queries.agenda(session=session, meeting_id=meeting)
    assert [(i.function_id, i.later) for i in items] == [
        ("0010002", False),
        ("0010006", True),
        ("0010001", False),
        ("0010003", False),
        ("0010004", False),
    ]
    assert [i.position for i in items] == [0, 1, 2, 3, 4]
    # Stepping skips the item left for later; it can still be put on screen directly.
    for expected in ("0010002", "0010001", "0010003", "0010004", "0010004"):
        post(client, f"/meetings/{meeting}/current", data={"go": "next"})
        with db.session() as session:
            current = meeting_queries.get_meeting(session=session, meeting_id=meeting)
            assert current is not None and current.current_item_id == item_of(db, meeting, expected)
    post(client, f"/meetings/{meeting}/current", data={"go": "previous"})
    post(
        client, f"/meetings/{meeting}/current", data={"item": str(item_of(db, meeting, "0010006"))}
    )
    console = client.get(f"/meetings/{meeting}/console").text
    assert re.search(
        r'<tr id="item-\d+" class="current" aria-current="step">\s*<td class="num">2', console
    )
    assert (
        post(client, f"/meetings/{meeting}/agenda/999999", data={"action": "up"}).status_code == 404
    )


# --- decisions and marks ---------------------------------------------------------------------


def test_all_fit_sets_every_mark_with_the_decision_in_the_history(
    meeting_project: Path, db: Database
) -> None:
    meeting = new_meeting(db)
    decision = decide(db, meeting, "0010003", Outcome.ALL_FIT, summary="標準で運用できる")
    assert {t: m[0] for t, m in marks_of(db, "0010003").items()} == dict.fromkeys(TOWNS, "fit")
    last = history_of(db, "0010003")[-4:]
    assert {h.source for h in last} == {"decision"}
    assert {h.changed_by for h in last} == {"山本"}
    assert all(f"決定 #{decision.id}: 全町が適合" in (h.reason or "") for h in last)
    assert "会議 令和7年4月1日 業務juki" in (last[0].reason or "")
    assert marks_of(db, "0010003")["kamiyama"][1] is None  # status changed, no new note


def test_all_workflow_change_records_what_changes_per_town(
    meeting_project: Path, db: Database
) -> None:
    meeting = new_meeting(db)
    with pytest.raises(meeting_queries.MeetingError, match="石井町の業務をどう見直すか"):
        decide(db, meeting, "0010001", Outcome.ALL_WORKFLOW_CHANGE)
    decision = decide(
        db,
        meeting,
        "0010001",
        Outcome.ALL_WORKFLOW_CHANGE,
        notes={"ishii": "標準の様式に合わせる"},
        actions=(ActionDraft("様式の見直し", "ishii", date(2025, 6, 30)), ActionDraft("共有")),
    )
    marks = marks_of(db, "0010001")
    assert marks["ishii"] == ("workflow_change", "標準の様式に合わせる", 2)
    assert marks["kamiyama"] == ("fit", "標準の帳票で運用", 2)  # fit stays, its note too
    with db.session() as session:
        towns = {
            t.town_id: t
            for t in session.scalars(
                select(DecisionTown).where(DecisionTown.decision_id == decision.id)
            )
        }
        actions = list(session.scalars(select(ActionItem).order_by(ActionItem.id)))
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001")
    assert (towns["ishii"].previous_status, towns["ishii"].previous_version) == ("customization", 1)
    assert towns["ishii"].version == 2
    assert [(a.town_id, a.what, a.due_on) for a in actions] == [
        ("ishii", "様式の見直し", date(2025, 6, 30)),
        (None, "共有", None),
    ]
    assert mark is not None and mark.cost_initial_yen is None  # no customization, no cost


def test_shared_customization_keeps_costs_and_needs_the_justification(
    meeting_project: Path, db: Database
) -> None:
    meeting = new_meeting(db)
    with pytest.raises(meeting_queries.MeetingError) as error:
        decide(db, meeting, "0010002", Outcome.SHARED_CUSTOMIZATION)
    assert len(error.value.problems) == 2
    decide(
        db,
        meeting,
        "0010002",
        Outcome.SHARED_CUSTOMIZATION,
        justification="法定の様式が変わるまでの経過措置",
        alternative="帳票の出力元が本体にしかない",
    )
    marks = marks_of(db, "0010002")
    assert {t: m[0] for t, m in marks.items()} == {
        "ishii": "customization",
        "kamiyama": "workflow_change",
        "naka": "customization",
        "higashimiyoshi": "fit",
    }
    with db.session() as session:
        ishii = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010002")
    assert ishii is not None and ishii.cost_initial_yen == 500_000


def test_town_exception_and_the_prohibited_function(meeting_project: Path, db: Database) -> None:
    meeting = new_meeting(db)
    decide(db, meeting, "0010001", Outcome.TOWN_EXCEPTION, justification="町条例第5条")
    assert marks_of(db, "0010001")["ishii"][0] == "customization"
    with pytest.raises(meeting_queries.MeetingError, match="実装不可機能"):
        decide(
            db,
            meeting,
            "0010006",
            Outcome.TOWN_EXCEPTION,
            justification="x",
            alternative="y",
        )


def test_postponed_changes_no_mark_and_defers_the_item(meeting_project: Path, db: Database) -> None:
    meeting = new_meeting(db)
    before = marks_of(db, "0010005")
    with pytest.raises(meeting_queries.MeetingError, match="理由"):
        decide(db, meeting, "0010005", Outcome.POSTPONED)
    decide(db, meeting, "0010005", Outcome.POSTPONED, summary="利用予定を確認する")
    assert marks_of(db, "0010005") == before
    with db.session() as session:
        items = meeting_queries.agenda(session=session, meeting_id=meeting)
    assert [i.later for i in items if i.function_id == "0010005"] == [True]


def test_recording_is_all_or_nothing(
    meeting_project: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = new_meeting(db)
    before_marks = marks_of(db, "0010003")
    before_history = len(history_of(db, "0010003"))
    real = mark_queries.save_mark
    calls: list[str] = []

    def failing(**kw: Any) -> Any:
        calls.append(kw["town_id"])
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(mark_queries, "save_mark", failing)
    with pytest.raises(RuntimeError):
        decide(db, meeting, "0010003", Outcome.ALL_FIT, actions=(ActionDraft("x"),))
    assert len(calls) == 3  # two marks were written before the failure ...
    assert marks_of(db, "0010003") == before_marks  # ... and rolled back with everything else
    assert len(history_of(db, "0010003")) == before_history
    with db.session() as session:
        assert session.scalars(select(Decision)).all() == []
        assert session.scalars(select(ActionItem)).all() == []
        assert meeting_queries.state_version(session=session, meeting_id=meeting) == 1


def test_a_mark_changed_since_the_page_loaded_is_replaced_and_its_version_recorded(
    meeting_project: Path, db: Database, files: Path, fitgap: Invoke
) -> None:
    meeting = new_meeting(db)
    make_marks(files, "naka", {"0010003": {"status": "workflow_change", "note": "新しい判断"}})
    assert fitgap("marks", "import", "marks/naka.yaml").exit_code == 0
    decision = decide(db, meeting, "0010003", Outcome.ALL_FIT)
    with db.session() as session:
        naka = session.scalars(
            select(DecisionTown).where(
                DecisionTown.decision_id == decision.id, DecisionTown.town_id == "naka"
            )
        ).one()
    assert (naka.previous_status, naka.previous_version, naka.version) == ("workflow_change", 2, 3)


def test_superseding_adds_a_decision_and_never_edits_the_old_one(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    old = decide(db, meeting, "0010001", Outcome.TOWN_EXCEPTION, justification="町条例")
    with pytest.raises(meeting_queries.DecisionConflict):
        decide(db, meeting, "0010001", Outcome.ALL_FIT)  # the moderator did not see `old`
    new = decide(db, meeting, "0010001", Outcome.ALL_FIT, supersedes=old.id)
    with pytest.raises(meeting_queries.DecisionConflict):
        decide(db, meeting, "0010001", Outcome.ALL_FIT, supersedes=old.id)  # stale
    with db.session() as session:
        current = meeting_queries.current_decision(session=session, function_id="0010001")
        assert current is not None and current.id == new.id
        assert meeting_queries.superseded_by(session=session, decision_ids=[old.id or 0]) == {
            old.id: new.id
        }
        stored = session.get(Decision, old.id)
        assert stored is not None and stored.outcome == "town_exception"
    assert marks_of(db, "0010001")["ishii"][0] == "fit"
    page = client.get(f"/meetings/{meeting}").text
    assert f"決定 #{new.id}" in page
    md = client.get(f"/meetings/{meeting}/minutes.md").text
    # Numbered within the meeting: the first decision is #1, the one replacing it #2.
    assert "- 状態：決定 #2 で置き換え" in md and "- 置き換えた決定：決定 #1" in md


def test_the_decision_log_is_insert_only_in_the_database(
    meeting_project: Path, db: Database
) -> None:
    meeting = new_meeting(db)
    decide(
        db,
        meeting,
        "0010001",
        Outcome.TOWN_EXCEPTION,
        justification="町条例",
        actions=(ActionDraft("x"),),
    )
    for statement in (
        "UPDATE decision SET summary = 'changed'",
        "DELETE FROM decision_town",
        "UPDATE action_item SET what = 'changed'",
    ):
        with pytest.raises(DBAPIError), db.write() as session:
            session.execute(text(statement))


def test_migrations_match_the_models(app: Flask, db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


# --- the web: console, decision form, screens, live state ------------------------------------


def test_planning_a_meeting_through_the_web(meeting_project: Path, client: FlaskClient) -> None:
    moderate(client)
    assert "会議を計画する" in client.get("/meetings").text
    form = client.get("/meetings/new").text
    assert 'name="attendees-ishii"' in form and 'type="date"' in form
    missing = post(client, "/meetings/new", data={"area": "juki", "held_on": "", "moderator": ""})
    assert missing.status_code == 422 and "開催日を入力してください" in missing.text
    created = post(
        client,
        "/meetings/new",
        data={
            "area": "juki",
            "held_on": "2025-04-01",
            "moderator": "山本",
            "place": "石井町役場",
            "attendees-ishii": "佐藤／住民課長\n高橋",
            "attendees-other": "小林, 事業者",
        },
    )
    assert created.status_code == 303
    page = client.get(created.headers["Location"]).text
    assert "令和7年4月1日（2025-04-01）" in page
    assert "佐藤（住民課長）、高橋" in page and "小林（事業者）" in page
    assert "/follow?town=ishii" in page and "/room" in page and "/minutes.xlsx" in page
    meeting_id = created.headers["Location"].rsplit("/", 1)[-1]
    edit = post(
        client,
        f"/meetings/{meeting_id}/edit",
        data={
            "area": "juki",
            "held_on": "2025-04-02",
            "moderator": "山本",
            "attendees-naka": "伊藤",
        },
    )
    assert edit.status_code == 303
    page = client.get(f"/meetings/{meeting_id}").text
    assert "令和7年4月2日" in page and "伊藤" in page and "佐藤" not in page
    assert client.get("/meetings/999").status_code == 404


def test_recording_a_decision_from_the_console(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    post(client, f"/meetings/{meeting}/current", data={"go": "next"})
    console = client.get(f"/meetings/{meeting}/console").text
    assert "0010006" in console and 'name="outcome"' in console
    # Each town's verdict and note once, in one table (no second list of the same notes).
    assert "各町の判定と運用（備考）" in console and "他の町はこう運用しています" not in console
    item = item_of(db, meeting, "0010006")
    url = f"/meetings/{meeting}/agenda/{item}/decision"
    refused = post(
        client, url, data={"outcome": "town_exception", "justification": "x", "alternative": "y"}
    )
    assert refused.status_code == 422 and "実装不可機能はカスタマイズできません" in refused.text
    assert 'value="town_exception" required checked' in refused.text  # the input is kept
    done = post(
        client,
        url,
        data={
            "outcome": "all_workflow_change",
            "summary": "疎結合の別システムで管理する",
            "note-naka": "地区台帳で管理する",
            "action-what-0": "地区台帳を整える",
            "action-town-0": "naka",
            "action-due-0": "2025-06-30",
        },
    )
    assert done.status_code == 303
    assert marks_of(db, "0010006")["naka"][:2] == ("workflow_change", "地区台帳で管理する")
    after = client.get(done.headers["Location"]).text
    assert "全町で業務見直し" in after and "地区台帳を整える" in after
    assert "を置き換える新しい決定" in after  # a second decision would supersede this one
    stale = post(client, url, data={"outcome": "all_fit", "supersedes": ""})
    assert stale.status_code == 422 and "別の決定が記録されました" in stale.text
    bad_date = post(
        client, url, data={"outcome": "all_fit", "action-what-0": "x", "action-due-0": "soon"}
    )
    assert bad_date.status_code == 422


def test_screens_follow_the_meeting_through_its_version(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    room = client.get(f"/meetings/{meeting}/room").text
    assert "screen-room" in room and 'hx-trigger="every 2s, fitgap-wake"' in room
    assert "meetings.js" in room and "進行役が議題を選ぶと" in room
    assert 'aria-live="polite"' in room
    paused = client.get(f"/meetings/{meeting}/follow?town=naka&live=0").text
    assert "hx-trigger" not in paused and "自動更新を再開する" in paused
    assert client.get(f"/meetings/{meeting}/follow?town=nowhere").status_code == 404
    unchanged = client.get(
        f"/meetings/{meeting}/live?v=1&view=room", headers={"HX-Request": "true"}
    )
    assert unchanged.status_code == 204 and unchanged.data == b""
    post(client, f"/meetings/{meeting}/current", data={"go": "next"})
    changed = client.get(
        f"/meetings/{meeting}/live?v=1&view=follow&town=naka&item=", headers={"HX-Request": "true"}
    )
    body = changed.text
    assert changed.status_code == 200 and body.lstrip().startswith('<div id="live-item"')
    assert "v=2" in body and "0010006" in body and 'class="own-town"' in body
    assert '<div id="live" hx-swap-oob="innerHTML">次の議題：0010006' in body
    # 21 of 16 × (5 + 3) = 128 units, and the last violation leaves: 50 × 21 / 128 + 50
    assert "58.2 点下がります" in body
    assert 'class="timer" data-elapsed="' in body
    item = item_of(db, meeting, "0010006")
    same_item = client.get(f"/meetings/{meeting}/live?v=1&view=room&item={item}").text
    assert "hx-swap-oob" not in same_item  # only an item change is announced
    assert client.get("/meetings/999/live?v=1").status_code == 404


def test_browsers_asking_for_the_same_new_item_at_once_get_one_render(
    meeting_project: Path, app: Flask, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    post(client, f"/meetings/{meeting}/current", data={"go": "next"})
    cache = app.extensions.get("fitgap.web.fragments")
    before = cache.renders if cache else 0
    url = f"/meetings/{meeting}/live?v=1&view=follow&item="
    pages = [client.get(url, headers={"HX-Request": "true"}).text for _ in range(5)]
    cache = app.extensions["fitgap.web.fragments"]
    assert cache.renders == before + 1 and len(set(pages)) == 1 and "0010006" in pages[0]
    # Anything the fragment shows that changes asks for a new render: another town view,
    # a mark changed on the area (its clock), the meeting's state, the language.
    client.get(url + "&town=naka", headers={"HX-Request": "true"})
    assert cache.renders == before + 2
    with db.write() as session:
        mark_queries.save_mark(
            session=session,
            town_id="naka",
            function_id="0010006",
            status=Status.CUSTOMIZATION,
            note="地区ごとに分けたい",
            cost=None,
            expected_version=marks_of(db, "0010006")["naka"][2],
            changed_by="テスト",
        )
    after_mark = client.get(url, headers={"HX-Request": "true"}).text
    assert cache.renders == before + 3 and "地区ごとに分けたい" in after_mark
    post(client, f"/meetings/{meeting}/current", data={"go": "next"})
    next_item = client.get(url, headers={"HX-Request": "true"}).text
    assert cache.renders == before + 4 and next_item != after_mark
    post(client, "/language", data={"lang": "en"})
    english = client.get(url, headers={"HX-Request": "true"}).text
    assert cache.renders == before + 5 and "Next agenda item" in english


def test_the_item_timer_keeps_time_spent_on_earlier_visits(
    meeting_project: Path, db: Database
) -> None:
    meeting = new_meeting(db)
    with db.write() as session:
        meeting_queries.step(session=session, meeting_id=meeting)
        session.execute(
            text("UPDATE meeting SET current_since = :t WHERE id = :m"),
            {"t": "2000-01-01 00:00:00", "m": meeting},
        )
    with db.write() as session:
        meeting_queries.step(session=session, meeting_id=meeting)
    with db.session() as session:
        first = meeting_queries.agenda(session=session, meeting_id=meeting)[0]
        row = meeting_queries.get_meeting(session=session, meeting_id=meeting)
        assert row is not None
        assert first.spent_seconds > 10 * 365 * 24 * 3600
        assert meeting_queries.elapsed_seconds(row, first) == first.spent_seconds


# --- the decision log: downloads, print page, command ----------------------------------------


def test_downloads_and_the_printable_page(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = record_sample(db)
    csv_response = client.get(f"/meetings/{meeting}/minutes.csv")
    disposition = csv_response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%AD%B0%E4%BA%8B%E9%8C%B2-" in disposition  # 議事録-...
    assert csv_response.data.startswith(b"\xef\xbb\xbf")
    book = load_workbook(io.BytesIO(client.get(f"/meetings/{meeting}/minutes.xlsx").data))
    assert book.sheetnames[:2] == ["決定事項", "対応事項"]
    everything = client.get("/minutes/decisions.md")
    assert everything.status_code == 200 and "# 議事録（全会議の決定事項）" in everything.text
    assert client.get(f"/meetings/{meeting}/minutes.pdf").status_code == 404
    printable = client.get(f"/meetings/{meeting}/minutes").text
    assert "meetings.css" in printable and "様式の見直し" in printable
    assert "令和7年6月30日（2025-06-30）" in printable
    assert client.get("/minutes").status_code == 200
    assert "要旨：" in printable and "決定内容：" in printable
    # In English a label takes a half-width colon and a space, never the Japanese one.
    token = csrf_token(client, f"/meetings/{meeting}/minutes")
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    english = client.get(f"/meetings/{meeting}/minutes").text
    assert '<html lang="en">' in english and "Summary: " in english
    assert "Summary：" not in english and "Decision：" not in english
    css = (REPO / "fitgap" / "web" / "static" / "meetings.css").read_text(encoding="utf-8")
    assert "@page { size: A4" in css


def test_export_decisions_command_writes_every_format(
    meeting_project: Path, db: Database, fitgap: Invoke, files: Path
) -> None:
    record_sample(db)
    for kind in ("md", "csv", "xlsx"):
        result = fitgap("export", "decisions", "--format", kind)
        assert result.exit_code == 0, result.output
        assert f"decisions-juki-2025-04-01.{kind}" in result.output
        assert f"decisions-all.{kind}" in result.output
    exports = files / "exports"
    markdown = (exports / "decisions-juki-2025-04-01.md").read_text(encoding="utf-8")
    assert "## 令和7年4月1日（2025-04-01） 業務juki 第1回" in markdown
    assert "- 石井町：カスタマイズ → 業務見直し：=様式を標準に合わせる" in markdown
    assert "- 決定内容：継続協議（次回以降）" in markdown
    raw = (exports / "decisions-all.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [r["機能ID"] for r in rows] == ["0010001", "0010005"]
    assert rows[0]["決定内容"] == "全町で業務見直し"
    assert rows[0]["石井町の見直し内容・備考"] == "'=様式を標準に合わせる"
    assert rows[0]["神山町の判定"] == "適合"
    assert rows[1]["要旨"] == "利用予定を確認する" and rows[1]["石井町の判定"] == ""
    book = load_workbook(exports / "decisions-juki-2025-04-01.xlsx")
    assert book.sheetnames == [
        "決定事項",
        "対応事項",
        "東みよし町の判定",
        "石井町の判定",
        "神山町の判定",
        "那賀町の判定",
    ]
    sheet = book["決定事項"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("機能ID") + 1).value == "0010001"
    actions = book["対応事項"]
    assert actions.cell(row=2, column=6).value == "様式の見直し"
    ishii = book["石井町の判定"]
    assert [c.value for c in ishii[2]][:3] == ["0010001", "機能1", "業務見直し"]
    only = fitgap("export", "decisions", "--format", "md", "--meeting", "999")
    assert only.exit_code == 1 and "会議 999 はありません" in only.output


def test_demo_creates_the_sample_meeting(
    app: Flask, sample: Path, fitgap: Invoke, db: Database, settings: dict[str, object]
) -> None:
    settings["DEMO_DATABASE_URL"] = settings["DATABASE_URL"]
    settings["DEMO_MARKS_DIR"] = str(sample / "marks")
    settings["DEMO_MEETINGS_FILE"] = str(REPO / "demo" / "meetings.yaml")
    result = fitgap("demo", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "デモの会議 1 件を作成しました" in result.output
    with db.session() as session:
        minutes = minutes_queries.gather_minutes(session=session)
    outcomes = [d.outcome for d in minutes.decisions]
    assert outcomes == [
        Outcome.ALL_WORKFLOW_CHANGE,
        Outcome.ALL_WORKFLOW_CHANGE,
        Outcome.TOWN_EXCEPTION,
        Outcome.POSTPONED,
    ]
    assert minutes.meetings[0].attendees and minutes.meetings[0].place
