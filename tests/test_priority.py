"""Priority (優先度: 必須 / 要望 / 不要) and today's practice (現行運用) on each mark: the web
editor, the function page, a status-only change, the marks files (read and written back) and
the errors they give.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from flask.testing import FlaskClient

from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.factories import make_marks
from tests.helpers import Invoke
from tests.test_workspace import choose, current, post_mark, prepare


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
