"""A new catalog edition: what changed is shown, changed marks are flagged, violations appear."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from flask.testing import FlaskClient

from fitgap.services import meetings
from fitgap.store import marks as mark_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store.db import Database
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, sign_in
from tests.workspace import choose, post_mark


def first_edition(files: Path, fitgap: Invoke) -> None:
    make_catalog(files, count=4)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(files, "ishii", {"0010001": "customization", "0010002": "fit", "0010003": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0


def second_edition(files: Path) -> None:
    make_catalog(
        files,
        count=5,
        **{
            "0010001": {"requirement": "prohibited"},  # reclassed under a customization
            "0010002": {"text": "改訂後の要件。"},  # reworded
            "0010004": {},  # removed
        },
    )


def test_load_of_a_new_edition_says_what_changed(files: Path, fitgap: Invoke, db: Database) -> None:
    first_edition(files, fitgap)
    second_edition(files)
    result = fitgap("load")
    assert result.exit_code == 0, result.output
    output = result.output
    for expected in ("0010001", "0010002", "0010004", "0010005"):
        assert expected in output
    assert "違反: ishii は 0010001" in output
    with db.session() as session:
        assert mark_queries.marks_to_review(session=session) == {
            ("ishii", "0010001"),
            ("ishii", "0010002"),
        }
    score = json.loads(fitgap("score", "--format", "json").output)
    violation = next(f for f in score["functions"] if f["id"] == "0010001")
    assert violation["violation"] is True and score["group"]["violations"] == 1


def test_grid_flags_marks_to_review_until_confirmed(
    files: Path, fitgap: Invoke, db: Database, client: FlaskClient
) -> None:
    first_edition(files, fitgap)
    second_edition(files)
    assert fitgap("load").exit_code == 0
    choose(client, "ishii")
    page = client.get("/areas/juki").get_data(as_text=True)
    assert page.count(">要確認<") == 2
    mark = mark_queries.get_mark
    with db.session() as session:
        current = mark(session=session, town_id="ishii", function_id="0010002")
    assert current is not None
    response = post_mark(client, "0010002", "ishii", "fit", current.version)
    assert response.status_code == 200
    with db.session() as session:
        assert mark_queries.marks_to_review(session=session) == {("ishii", "0010001")}
    assert client.get("/areas/juki").get_data(as_text=True).count(">要確認<") == 1


def test_meeting_agenda_flags_marks_to_review(
    files: Path, fitgap: Invoke, db: Database, client: FlaskClient
) -> None:
    first_edition(files, fitgap)
    make_marks(files, "naka", {"0010001": "fit", "0010002": "workflow_change"})
    assert fitgap("marks", "import", "marks/naka.yaml").exit_code == 0
    with db.write() as session:
        meeting = meetings.create_meeting(
            session=session,
            data=meeting_queries.MeetingInput(
                area_id="juki", held_on=date(2026, 4, 1), moderator="山本"
            ),
        )
    second_edition(files)
    assert fitgap("load").exit_code == 0
    sign_in(client, db, "moderator", "moderator")
    page = client.get(f"/meetings/{meeting.id}/console").get_data(as_text=True)
    assert ">要確認<" in page and "石井町" in page
