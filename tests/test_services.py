"""The use cases shared by the web and the command line, on rows made by the row factories."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fitgap.domain.marking import kept_by_status_change, kept_by_verdict
from fitgap.domain.values import Cost, Mark, Priority, Status
from fitgap.services.marks import MarkEdit, record_mark
from fitgap.store import audit as audit_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from fitgap.store.marks import MarkConflict
from fitgap.store.models import AuditRecord
from tests.factories import make_area, make_function, make_mark, make_town

ACTOR = audit_queries.Actor(name="staff-ishii", address="192.0.2.1")
NOTE = "窓口で紙の申請書を受け付けるため"
COST = Cost(1_200_000, 150_000)


@pytest.fixture
def rows(db: Database) -> Database:
    """One area, two functions, two towns; ishii customizes 0010001 with a note and a cost."""
    with db.write() as session:
        make_area(session)
        make_function(session)
        make_function(session, id="0010002", position=1)
        make_town(session)
        make_town(session, id="naka", position=1)
        make_mark(session, "ishii", "0010001", Status.CUSTOMIZATION, note=NOTE, cost=COST)
    return db


def edit(status: Status, version: int, *, full: bool = False, **kw: object) -> MarkEdit:
    values: dict[str, object] = {"note": None, "cost": None, **kw}
    return MarkEdit(
        town_id="ishii",
        function_id="0010001",
        status=status,
        expected_version=version,
        full=full,
        note=values["note"],  # type: ignore[arg-type]
        cost=values["cost"],  # type: ignore[arg-type]
    )


def test_a_status_change_keeps_the_note_and_the_cost(rows: Database) -> None:
    # A status sent again on a customization (a second tab) keeps the note and the estimate.
    saved = record_mark(rows, edit(Status.CUSTOMIZATION, 1), changed_by="石井", actor=ACTOR)
    assert (saved.status, saved.version, saved.note) == ("customization", 2, NOTE)
    assert (saved.cost_initial_yen, saved.cost_annual_yen) == (1_200_000, 150_000)
    # Another status keeps the note; only customizations carry an estimate.
    saved = record_mark(rows, edit(Status.WORKFLOW_CHANGE, 2), changed_by="石井", actor=ACTOR)
    assert (saved.status, saved.version, saved.note) == ("workflow_change", 3, NOTE)
    assert (saved.cost_initial_yen, saved.cost_annual_yen) == (None, None)


def test_the_editor_replaces_note_and_cost(rows: Database) -> None:
    saved = record_mark(
        rows, edit(Status.FIT, 1, full=True, note="標準で足りる"), changed_by="石井", actor=ACTOR
    )
    assert (saved.status, saved.note, saved.cost_initial_yen) == ("fit", "標準で足りる", None)


def test_a_retried_request_counts_as_saved_and_a_different_one_conflicts(rows: Database) -> None:
    first = record_mark(rows, edit(Status.FIT, 1), changed_by="石井", actor=ACTOR)
    again = record_mark(rows, edit(Status.FIT, 1), changed_by="石井", actor=ACTOR)
    assert again.version == first.version == 2
    with pytest.raises(MarkConflict) as refused:
        record_mark(rows, edit(Status.NOT_APPLICABLE, 1), changed_by="石井", actor=ACTOR)
    assert refused.value.current is not None and refused.value.current.status == "fit"


def test_every_recorded_mark_is_audited_with_what_changed(rows: Database) -> None:
    record_mark(rows, edit(Status.WORKFLOW_CHANGE, 1), changed_by="石井", actor=ACTOR)
    with rows.session() as session:
        records = list(session.scalars(select(AuditRecord).order_by(AuditRecord.sequence)))  # type: ignore[arg-type]
        history = mark_queries.mark_history(session=session, function_id="0010001")
    assert [r.action for r in records] == ["mark.changed"]
    assert records[0].actor == "staff-ishii" and records[0].address == "192.0.2.1"
    assert records[0].target == "ishii/0010001"
    assert records[0].details["before"] == "customization"
    assert [h.status for h in history][-1] == "workflow_change"


def test_the_keep_rules_of_the_domain() -> None:
    previous = Mark("ishii", "0010001", Status.CUSTOMIZATION, NOTE, COST)
    assert kept_by_status_change(previous) == (NOTE, COST, None, None)
    assert kept_by_status_change(None) == (None, None, None, None)
    # A verdict confirming the town's status keeps its note; its own note wins.
    assert kept_by_verdict(previous, Status.CUSTOMIZATION, None) == (NOTE, COST, None, None)
    assert kept_by_verdict(previous, Status.CUSTOMIZATION, " 決定の注記 ")[:2] == (
        "決定の注記",
        COST,
    )
    # A verdict that changes the status drops the old note and the cost estimate.
    assert kept_by_verdict(previous, Status.WORKFLOW_CHANGE, None) == (None, None, None, None)


def test_priority_and_todays_practice_survive_a_status_change_and_a_verdict() -> None:
    previous = Mark(
        "ishii", "0010001", Status.CUSTOMIZATION, NOTE, COST, Priority.REQUIRED, "紙で受付"
    )
    kept = kept_by_status_change(previous)
    assert (kept.priority, kept.as_is) == (Priority.REQUIRED, "紙で受付")
    assert (kept.note, kept.cost) == (NOTE, COST)
    # A verdict that changes the status drops the note and cost, but the town still needs the
    # function as much, and still works as it does today.
    changed = kept_by_verdict(previous, Status.WORKFLOW_CHANGE, None)
    assert changed == (None, None, Priority.REQUIRED, "紙で受付")
    confirmed = kept_by_verdict(previous, Status.CUSTOMIZATION, "決定")
    assert confirmed == ("決定", COST, Priority.REQUIRED, "紙で受付")
