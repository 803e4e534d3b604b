"""The audit trail: what is recorded, append-only in the database, tamper detection, pruning
under the retention rule, concurrent writers, and the administrators' page and export."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fitgap.services import meetings
from fitgap.store import audit as audit_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store.db import Database
from fitgap.store.models import AuditRecord
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, csrf_token, login, make_account, moderate, sign_in

ACTOR = audit_queries.Actor("tester", "127.0.0.1")


def records(db: Database, **filters: Any) -> list[AuditRecord]:
    with db.session() as session:
        found = audit_queries.list_records(
            session=session, filters=audit_queries.AuditFilter(**filters), limit=None
        )
    return list(reversed(found))


def append(db: Database, count: int, action: str = "test.event") -> None:
    for k in range(count):
        with db.write() as session:
            audit_queries.append(
                session=session, actor=ACTOR, action=action, target=f"t{k}", details={"k": k}
            )


def verification(db: Database) -> audit_queries.Verification:
    with db.session() as session:
        return audit_queries.verify(session=session)


def tamper(db: Database, statement: str) -> None:
    """Change the trail behind fitgap's back, as someone with the database's files could."""
    with db.engine.begin() as connection:
        if db.is_sqlite:
            for trigger in ("audit_record_no_update", "audit_record_no_delete"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_record DISABLE TRIGGER USER")
        connection.exec_driver_sql(statement)


@pytest.fixture
def project(files: Path, fitgap: Invoke) -> Path:
    make_catalog(files, count=3)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(files, "ishii", {"0010001": "customization"})
    make_marks(files, "naka", {"0010001": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml", "marks/naka.yaml").exit_code == 0
    return files


# --- what is recorded ------------------------------------------------------------------------


def test_the_command_line_records_loads_and_imports(project: Path, db: Database) -> None:
    found = records(db)
    assert [r.action for r in found] == ["catalog.loaded", "marks.imported"]
    load, imported = found
    assert load.actor.startswith("cli:") and load.address == "local"
    assert load.details["functions"]["added"] == 3
    assert imported.target == "ishii,naka"
    assert (imported.details["added"], imported.details["changed"]) == (2, 0)


def test_the_web_records_sign_ins_marks_decisions_and_downloads(
    project: Path, app: Flask, db: Database
) -> None:
    staff = app.test_client()
    assert login(staff, "ishii").status_code == 200  # no such account yet: a failed sign-in
    sign_in(staff, db, "ishii", "staff", town="ishii")
    token = csrf_token(staff)
    saved = staff.post(
        "/functions/0010001/marks/ishii",
        data={
            "status": "workflow_change",
            "version": "1",
            "note": "窓口で対応",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303
    change = records(db, action="mark.changed")[-1]
    assert (change.actor, change.address, change.target) == ("ishii", "127.0.0.1", "ishii/0010001")
    assert change.details == {
        "town": "ishii",
        "function": "0010001",
        "before": "customization",
        "after": "workflow_change",
        "note_changed": True,
        "cost_changed": False,
        "priority_changed": False,
        "as_is_changed": False,
        "version": 2,
    }
    # A moderator's correction on a town's behalf needs a reason, kept in both records.
    moderator = app.test_client()
    moderate(moderator)
    token = csrf_token(moderator)
    url = "/functions/0010001/marks/naka"
    form = {"status": "not_applicable", "version": "1", "note": "", "csrf_token": token}
    form["context"] = "page"
    missing = moderator.post(url, data=form)
    assert missing.status_code == 422 and "訂正の理由を書いてください" in missing.get_data(
        as_text=True
    )
    corrected = moderator.post(url, data={**form, "reason": "那賀町の依頼（電話）"})
    assert corrected.status_code == 303
    correction = records(db, action="mark.changed")[-1]
    assert correction.actor == "moderator"
    assert correction.details["correction"] is True
    assert correction.details["reason"] == "那賀町の依頼（電話）"
    history = moderator.get("/functions/0010001").get_data(as_text=True)
    assert "画面で訂正" in history and "那賀町の依頼（電話）" in history
    # A decision in a meeting, and a download of the minutes.
    with db.write() as session:
        meeting = meetings.create_meeting(
            session=session,
            data=meeting_queries.MeetingInput(
                area_id="juki", held_on=date(2025, 4, 1), moderator="山本"
            ),
        )
        item = meeting_queries.add_item(
            session=session, meeting_id=meeting.id or 0, function_id="0010002"
        )
    decided = moderator.post(
        f"/meetings/{meeting.id}/agenda/{item.id}/decision",
        data={
            "outcome": "all_fit",
            "summary": "標準で運用する",
            **{f"status-{t}": "fit" for t in ("ishii", "kamiyama", "naka", "higashimiyoshi")},
            "csrf_token": token,
        },
    )
    assert decided.status_code == 303, decided.get_data(as_text=True)[:3000]
    decision = records(db, action="decision.recorded")[-1]
    assert decision.details["outcome"] == "all_fit"
    assert decision.details["marks"]["kamiyama"] == {"before": None, "after": "fit", "version": 1}
    assert staff.get(f"/meetings/{meeting.id}/minutes.csv").status_code == 200
    download = records(db, action="export.downloaded")[-1]
    assert (download.actor, download.target) == ("ishii", f"meeting:{meeting.id}")
    staff.post("/logout", data={"csrf_token": csrf_token(staff)})
    actions = [r.action for r in records(db)]
    assert actions[:3] == ["catalog.loaded", "marks.imported", "login.failed"]
    for expected in ("login", "mark.changed", "decision.recorded", "export.downloaded", "logout"):
        assert expected in actions
    assert verification(db).intact


# --- append-only, tamper detection -----------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_records(fitgap: Invoke, db: Database) -> None:
    append(db, 3)
    for statement in (
        "UPDATE audit_record SET actor = 'someone else' WHERE sequence = 2",
        "DELETE FROM audit_record WHERE sequence = 3",
        "DELETE FROM audit_record",
        "UPDATE audit_chain SET head_sequence = 1",  # the head never moves back
        "UPDATE audit_chain SET anchor_sequence = 4",  # the anchor never passes the head
        "DELETE FROM audit_chain",
        "INSERT INTO audit_chain (id, head_sequence, head_hash, anchor_sequence, anchor_hash) "
        "VALUES (2, 0, 'x', 0, 'x')",
    ):
        with pytest.raises(DBAPIError), db.write() as session:
            session.execute(text(statement))
    assert [r.sequence for r in records(db)] == [1, 2, 3]
    assert verification(db).intact
    # Moving the anchor by hand (only `prune` should) lets old records go, but not unnoticed.
    second = records(db)[1]
    with db.write() as session:
        session.execute(
            text("UPDATE audit_chain SET anchor_sequence = 2, anchor_hash = :h"),
            {"h": second.hash},
        )
        session.execute(text("DELETE FROM audit_record WHERE sequence <= 2"))
    result = fitgap("audit", "verify")
    assert result.exit_code == 1 and "削除の記録がありません" in result.output


@pytest.mark.parametrize(
    ("statement", "first"),
    [
        ("UPDATE audit_record SET details = '{\"k\": 9}' WHERE sequence = 3", 3),
        ("UPDATE audit_record SET actor = 'someone' WHERE sequence = 2", 2),
        ("DELETE FROM audit_record WHERE sequence = 3", 4),
        ("DELETE FROM audit_record WHERE sequence = 5", 4),  # the newest, caught by the head
        ("UPDATE audit_record SET at = at + interval '1 second' WHERE sequence = 1", 1),
    ],
)
def test_tampering_is_found_by_audit_verify(
    fitgap: Invoke, db: Database, statement: str, first: int
) -> None:
    append(db, 5)
    result = fitgap("audit", "verify")
    assert result.exit_code == 0 and "5 件" in result.output
    if db.is_sqlite:
        statement = statement.replace("at + interval '1 second'", "'2020-01-01 00:00:00.000000'")
    tamper(db, statement)
    result = fitgap("audit", "verify")
    assert result.exit_code == 1
    assert f"最初の異常は記録 {first}" in result.output, result.output


# --- retention -------------------------------------------------------------------------------


def test_pruning_removes_only_the_oldest_and_keeps_the_chain_verifiable(
    app: Flask, fitgap: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert app.config["AUDIT_RETENTION_YEARS"] == 5
    now = datetime.now(UTC)
    for years in (7, 7, 6):
        moment = now - timedelta(days=365 * years)
        monkeypatch.setattr(audit_queries, "utcnow", lambda moment=moment: moment)
        append(db, 1, "old.event")
    monkeypatch.undo()
    append(db, 2, "new.event")
    within = (now - timedelta(days=365)).date().isoformat()
    refused = fitgap("audit", "prune", "--before", within, "--yes")
    assert refused.exit_code == 1 and "保存期間" in refused.output
    shown = fitgap("audit", "prune")
    assert shown.exit_code == 0 and "3 件" in shown.output and "--yes" in shown.output
    assert len(records(db)) == 5  # only shown, nothing removed
    done = fitgap("audit", "prune", "--yes")
    assert done.exit_code == 0, done.output
    kept = records(db)
    assert [r.sequence for r in kept] == [4, 5, 6]
    assert kept[-1].action == "audit.pruned"
    assert kept[-1].details["through"] == 3 and kept[-1].details["count"] == 3
    checked = verification(db)
    assert checked.intact and checked.anchor_sequence == 3 and checked.first == 4
    assert fitgap("audit", "verify").exit_code == 0
    # Records after the anchor stay protected.
    with pytest.raises(DBAPIError), db.write() as session:
        session.execute(text("DELETE FROM audit_record WHERE sequence = 4"))
    # Removing the first kept record behind fitgap's back is found.
    tamper(db, "DELETE FROM audit_record WHERE sequence = 4")
    assert fitgap("audit", "verify").exit_code == 1
    assert fitgap("audit", "prune").output.strip() == "削除する記録はありません"


def test_retention_cutoff_handles_leap_days() -> None:
    assert audit_queries.retention_cutoff(date(2028, 2, 29), 5) == date(2023, 2, 28)
    assert audit_queries.retention_cutoff(date(2026, 11, 26), 5) == date(2021, 11, 26)


# --- concurrent writers ----------------------------------------------------------------------


def test_concurrent_writers_never_fork_the_chain(db: Database) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def worker(number: int) -> None:
        try:
            start.wait()
            for k in range(8):
                with db.write() as session:
                    audit_queries.append(
                        session=session,
                        actor=audit_queries.Actor(f"worker-{number}", None),
                        action="test.event",
                        details={"k": k},
                    )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    found = records(db)
    assert [r.sequence for r in found] == list(range(1, 49))
    assert all(b.previous_hash == a.hash for a, b in pairwise(found))
    assert verification(db).intact


# --- the administrators' page and export -----------------------------------------------------


def table_of(page: str) -> str:
    """The audit page's table body (the filter above it lists every action)."""
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_the_audit_page_filters_verifies_and_exports(
    project: Path, client: FlaskClient, db: Database
) -> None:
    make_account(db, "someone", "observer")
    login(client, "someone", "Wrong-password-1")
    sign_in(client, db, "admin", "admin")
    page = table_of(client.get("/admin/audit").get_data(as_text=True))
    assert (
        "ログインの失敗" in page and "カタログの読み込み" in page and "アカウント someone" in page
    )
    assert "理由：パスワードの誤り" in page  # the details, in words
    assert 'lang="en">login.failed</small>' in page  # the code stays, small, for IT staff
    only = table_of(client.get("/admin/audit?action=login.failed").get_data(as_text=True))
    assert "アカウント someone" in only and "カタログの読み込み" not in only
    by_admin = table_of(client.get("/admin/audit?actor=admin").get_data(as_text=True))
    assert "ログイン<br>" in by_admin and "ログインの失敗" not in by_admin
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert "条件に合う記録はありません" in client.get(f"/admin/audit?since={tomorrow}").get_data(
        as_text=True
    )
    verified = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "改ざんはありません" in verified
    exported = client.get("/admin/audit.csv?action=login.failed")
    body = exported.data
    assert exported.status_code == 200 and body.startswith(b"\xef\xbb\xbf")
    assert exported.headers["Content-Type"].startswith("text/csv")
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("番号,日時（UTC）,操作者") and len([x for x in lines if x]) == 2
    assert "account:someone" in lines[1]
    assert records(db)[-1].action == "audit.exported"
    tamper(db, "UPDATE audit_record SET actor = 'x' WHERE sequence = 1")
    broken = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "つながりが壊れています" in broken and "記録 1" in broken


def test_audit_export_command(project: Path, fitgap: Invoke, files: Path) -> None:
    out = files / "audit.csv"
    result = fitgap("audit", "export", "--out", str(out), "--action", "catalog.loaded")
    assert result.exit_code == 0 and str(out) in result.output
    rows = out.read_bytes().decode("utf-8-sig").strip().split("\r\n")
    assert len(rows) == 2 and ",catalog.loaded," in rows[1]
    default = fitgap("audit", "export")
    assert default.exit_code == 0 and "exports/audit-" in default.output
