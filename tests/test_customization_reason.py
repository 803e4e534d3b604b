"""A customization carries its reason (why the standard does not fit) whichever way it comes
in: `fitgap marks import` refuses one without a `note` at FILE:LINE; the marking sheet's
refusal is tested with the sheets (tests/test_sheets_web.py, tests/test_excel_cli.py)."""

from __future__ import annotations

from pathlib import Path

from fitgap.domain.values import Cost, Status
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, write


def loaded(files: Path, fitgap: Invoke) -> None:
    make_catalog(files, count=4)
    make_towns(files)
    assert fitgap("load").exit_code == 0


def test_marks_import_refuses_a_customization_without_a_note(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    loaded(files, fitgap)
    make_marks(
        files,
        "ishii",
        {
            "0010001": "fit",
            "0010002": {"status": "customization", "note": None},
            "0010003": {"status": "customization", "note": "  "},
        },
    )
    result = fitgap("marks", "import", "marks/ishii.yaml")
    assert result.exit_code == 1
    # Each mark's line: the list starts on line 4, one line per key.
    assert "marks/ishii.yaml:6: 機能 0010002 の判定はカスタマイズ（customization）ですが、" in (
        result.output
    )
    assert "note がありません" in result.output and "marks/ishii.yaml:8: 機能 0010003" in (
        result.output
    )
    with db.session() as session:  # all or nothing: the fit was not imported either
        assert (
            mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001") is None
        )


def test_the_precise_reader_gives_the_same_line(files: Path, fitgap: Invoke) -> None:
    loaded(files, fitgap)
    write(
        files / "marks",
        "ishii.yaml",
        """format: fitgap-marks/1
town: ishii
marks:
  - {function: "0010001", status: fit}   # flow style: read by the node reader
  - function: "0010002"
    status: カスタマイズ
    cost: {initial_yen: 100000}
""",
    )
    result = fitgap("marks", "import", "marks/ishii.yaml")
    assert result.exit_code == 1 and "marks/ishii.yaml:5: 機能 0010002" in result.output


def test_a_customization_with_its_reason_imports(files: Path, fitgap: Invoke, db: Database) -> None:
    loaded(files, fitgap)
    make_marks(files, "ishii", {"0010002": {"status": "customization", "note": "独自様式のため"}})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    with db.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010002")
        assert mark is not None and (mark.status, mark.note) == ("customization", "独自様式のため")


def test_a_stored_customization_without_reason_round_trips_unchanged(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    """One recorded before the rule (or by an older import) exports and imports again as it
    is; the reason is asked for as soon as the file changes it."""
    loaded(files, fitgap)
    with db.write() as session:
        mark_queries.save_mark(
            session=session,
            town_id="ishii",
            function_id="0010002",
            status=Status.CUSTOMIZATION,
            note=None,
            cost=Cost(100_000, 10_000),
            expected_version=0,
            changed_by="earlier",
        )
    assert fitgap("marks", "export", "--town", "ishii", "--out", "out").exit_code == 0
    again = fitgap("marks", "import", "out/ishii.yaml")
    assert again.exit_code == 0, again.output
    exported = (files / "out" / "ishii.yaml").read_text(encoding="utf-8")
    (files / "out" / "ishii.yaml").write_text(
        exported.replace("100000", "200000"), encoding="utf-8"
    )
    changed = fitgap("marks", "import", "out/ishii.yaml")
    assert changed.exit_code == 1 and "0010002" in changed.output and "note" in changed.output
