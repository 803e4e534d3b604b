"""Helpers of the meeting tests: the towns and marks of their project (the `meeting_project`
fixture), meetings and decisions recorded straight through the services, forms posted as a
browser does."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask.testing import FlaskClient

from fitgap.domain.meetings.minutes import ActionDraft, DecisionDraft, TownVerdict
from fitgap.domain.values import Outcome, Status
from fitgap.services import meetings
from fitgap.store import meetings as meeting_queries
from fitgap.store.audit import Actor
from fitgap.store.db import Database
from fitgap.store.models import Decision

TOWNS = ("ishii", "kamiyama", "naka", "higashimiyoshi")
# 0010001 lone customization (7 units), 0010002 split (2 × 6 = 12), 0010003 fit vs workflow
# change, 0010004 no divergence, 0010005 not applicable vs fit, 0010006 prohibited and
# customized by naka (3 × 7 = 21 units).
MARKS: dict[str, dict[str, str | dict[str, object]]] = {
    "ishii": {
        "0010001": {
            "status": "customization",
            "note": "独自様式",
            "cost": {"initial_yen": 1_000_000, "annual_yen": 100_000},
        },
        "0010002": {
            "status": "customization",
            "cost": {"initial_yen": 500_000, "annual_yen": 50_000},
        },
        "0010003": "fit",
        "0010004": "fit",
        "0010005": "fit",
        "0010006": "fit",
    },
    "kamiyama": {
        "0010001": {"status": "fit", "note": "標準の帳票で運用"},
        "0010002": {"status": "workflow_change", "note": "EUCで代替"},
        "0010003": {"status": "workflow_change", "note": "窓口の手順を変える"},
        "0010004": "fit",
        "0010005": "not_applicable",
        "0010006": "fit",
    },
    "naka": {
        "0010001": "fit",
        "0010002": "customization",
        "0010003": "fit",
        "0010004": "fit",
        "0010005": "fit",
        "0010006": "customization",
    },
    "higashimiyoshi": {
        "0010001": "fit",
        "0010002": "fit",
        "0010003": "fit",
        "0010004": "fit",
        "0010005": "fit",
        "0010006": "fit",
    },
}


def new_meeting(db: Database, **kw: Any) -> int:
    data = meeting_queries.MeetingInput(
        area_id="juki",
        held_on=kw.pop("held_on", date(2025, 4, 1)),
        moderator="山本",
        title="第1回",
        place="石井町役場",
        attendees=(
            meeting_queries.AttendeeInput("佐藤", "住民課長", "ishii"),
            meeting_queries.AttendeeInput("山本", "コンサルタント", None),
        ),
    )
    with db.write() as session:
        meeting = meetings.create_meeting(session=session, data=data)
        assert meeting.id is not None
        return meeting.id


def item_of(db: Database, meeting_id: int, function_id: str) -> int:
    with db.session() as session:
        items = meeting_queries.agenda(session=session, meeting_id=meeting_id)
    found = [i.id for i in items if i.function_id == function_id]
    assert found and found[0] is not None
    return found[0]


def decide(
    db: Database,
    meeting_id: int,
    function_id: str,
    outcome: Outcome,
    statuses: dict[str, Status] | None = None,
    supersedes: int | None = None,
    **kw: Any,
) -> Decision:
    notes = kw.pop("notes", {})
    verdicts = tuple(
        TownVerdict(t, (statuses or {}).get(t, Status.UNDECIDED), notes.get(t)) for t in TOWNS
    )
    draft = DecisionDraft(outcome=outcome, verdicts=verdicts, **kw)
    with db.write() as session:
        return meetings.record_decision(
            session=session,
            actor=Actor(name="test", address=None),
            meeting_id=meeting_id,
            item_id=item_of(db, meeting_id, function_id),
            draft=draft,
            supersedes_id=supersedes,
        )


def post(client: FlaskClient, url: str, data: dict[str, str]) -> Any:
    """POST a form as the browser does, with the session's CSRF token."""
    page = client.get("/meetings").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return client.post(url, data={**data, "csrf_token": token.group(1)})


def record_sample(db: Database) -> int:
    meeting = new_meeting(db)
    decide(
        db,
        meeting,
        "0010001",
        Outcome.ALL_WORKFLOW_CHANGE,
        notes={"ishii": "=様式を標準に合わせる"},
        actions=(ActionDraft("様式の見直し", "ishii", date(2025, 6, 30)),),
    )
    decide(db, meeting, "0010005", Outcome.POSTPONED, summary="利用予定を確認する")
    return meeting
