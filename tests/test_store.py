"""Loading into the database, marks import/export, optimistic locking and the history."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from fitgap.domain.values import Cost, Status
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from fitgap.store.models import CatalogFunction, Mark, MarkChange
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke


def snapshot(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to compare a database before and after."""
    tables = ["area", "catalog_function", "town", "mark", "mark_change"]
    with db.engine.connect() as connection:
        return {
            name: [tuple(r) for r in connection.execute(text(f"SELECT * FROM {name} ORDER BY 1"))]  # noqa: S608
            for name in tables
        }


def loaded(files: Path, fitgap: Invoke, count: int = 5) -> list[str]:
    ids = make_catalog(files, count=count)
    make_towns(files)
    result = fitgap("load")
    assert result.exit_code == 0, result.output
    return ids


def test_load_creates_everything(files: Path, fitgap: Invoke, db: Database) -> None:
    ids = loaded(files, fitgap)
    with db.session() as session:
        assert [t.id for t in catalog_queries.list_towns(session=session)] == [
            "higashimiyoshi",
            "ishii",
            "kamiyama",
            "naka",
        ]
        functions = catalog_queries.area_functions(session=session, area_id="juki")
        assert [f.id for f in functions] == ids
        assert functions[0].path == ["異動", "届出"]
        assert functions[-1].requirement == "prohibited"
        assert len(functions[0].fingerprint) == 32


def test_load_is_all_or_nothing(files: Path, fitgap: Invoke, db: Database) -> None:
    loaded(files, fitgap)
    make_marks(files, "ishii", {"0010001": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    before = snapshot(db)
    make_catalog(files, count=8)  # a valid, bigger first file ...
    make_catalog(
        files, area_id="zeimu", prefix="002", **{"0020001": {"id": 20001}}
    )  # ... bad second
    result = fitgap("load")
    assert result.exit_code == 1
    assert "zeimu.yaml:" in result.output and "0020001" not in result.output.split("\n")[-1]
    assert snapshot(db) == before


def test_reload_keeps_marks_and_archives_vanished_functions(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    loaded(files, fitgap)
    make_marks(files, "ishii", {"0010001": "customization", "0010002": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    # Next edition: 0010001 reworded, 0010002 removed, 0010006 added.
    make_catalog(files, count=6, **{"0010001": {"text": "改訂後の要件。"}, "0010002": {}})
    result = fitgap("load")
    assert result.exit_code == 0, result.output
    assert "保管 1" in result.output
    with db.session() as session:
        assert catalog_queries.active_function_ids(session=session) == {
            "0010001",
            "0010003",
            "0010004",
            "0010005",
            "0010006",
        }
        archived = session.get(CatalogFunction, "0010002")
        assert archived is not None and archived.archived_at is not None
        marks = session.scalars(select(Mark).order_by(Mark.function_id)).all()
        assert [(m.function_id, m.status) for m in marks] == [
            ("0010001", "customization"),
            ("0010002", "fit"),
        ]
        reworded = session.get(CatalogFunction, "0010001")
        assert reworded is not None and marks[0].fingerprint != reworded.fingerprint
    # The function comes back in a later edition: restored, its mark still there.
    make_catalog(files, count=6, **{"0010001": {"text": "改訂後の要件。"}})
    assert "復帰 1" in fitgap("load").output
    with db.session() as session:
        assert "0010002" in catalog_queries.active_function_ids(session=session)


def test_marks_import_records_history_and_versions(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    loaded(files, fitgap)
    make_marks(files, "ishii", {"0010001": "fit", "0010002": "業務見直し"})
    assert fitgap("marks", "import", "--by", "石井町 住民課", "marks/ishii.yaml").exit_code == 0
    make_marks(files, "ishii", {"0010001": "fit", "0010002": "customization"})
    result = fitgap("marks", "import", "marks/ishii.yaml")
    assert "追加 0、変更 1、変更なし 1" in result.output
    with db.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010002")
        assert mark is not None and (mark.status, mark.version) == ("customization", 2)
        history = mark_queries.mark_history(session=session, function_id="0010002")
        assert [(h.status, h.version, h.changed_by, h.source) for h in history] == [
            ("workflow_change", 1, "石井町 住民課", "import"),
            ("customization", 2, "import", "import"),
        ]


def test_marks_import_is_all_or_nothing(files: Path, fitgap: Invoke, db: Database) -> None:
    loaded(files, fitgap)
    make_marks(files, "ishii", {"0010001": "fit"})
    make_marks(files, "naka", {"0010001": {"status": "fit", "cost": {"initial_yen": 1}}})
    before = snapshot(db)
    result = fitgap("marks", "import", "marks/ishii.yaml", "marks/naka.yaml")
    assert result.exit_code == 1
    assert "marks/naka.yaml:" in result.output and "cost" in result.output
    assert snapshot(db) == before


def test_marks_import_before_load_says_what_to_do(files: Path, fitgap: Invoke) -> None:
    make_marks(files, "ishii", {"0010001": "fit"})
    result = fitgap("marks", "import", "marks/ishii.yaml")
    assert result.exit_code == 1 and "fitgap load" in result.output


def test_export_then_import_gives_identical_marks(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    loaded(files, fitgap)
    make_marks(
        files,
        "ishii",
        {
            "0010003": {"status": "workflow_change", "note": "窓口の手順を\n見直します。\n"},
            "0010001": {
                "status": "customization",
                "note": "条例の様式",
                "cost": {"initial_yen": 1200000, "annual_yen": 150000},
            },
            "0010005": "not_applicable",
        },
    )
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    result = fitgap("marks", "export", "--out", "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (files / "out").iterdir()) == [
        "higashimiyoshi.yaml",
        "ishii.yaml",
        "kamiyama.yaml",
        "naka.yaml",
    ]
    exported = (files / "out" / "ishii.yaml").read_text(encoding="utf-8")
    assert exported.index("0010001") < exported.index("0010003")  # catalog order
    with db.session() as session:
        before = mark_queries.export_marks(session=session, town_id="ishii")
    result = fitgap("marks", "import", "out/ishii.yaml")
    assert "追加 0、変更 0、変更なし 3" in result.output
    with db.session() as session:
        after = mark_queries.export_marks(session=session, town_id="ishii")
    assert after == before
    assert after[0].cost == Cost(1200000, 150000)


def test_export_of_unknown_town(files: Path, fitgap: Invoke) -> None:
    loaded(files, fitgap)
    result = fitgap("marks", "export", "--town", "tokyo")
    assert result.exit_code == 1 and "tokyo" in result.output


def test_save_mark_detects_stale_versions(files: Path, fitgap: Invoke, db: Database) -> None:
    loaded(files, fitgap)
    with db.write() as session:
        first = mark_queries.save_mark(
            session=session,
            town_id="kamiyama",
            function_id="0010001",
            status=Status.FIT,
            note=None,
            cost=None,
            expected_version=0,
            changed_by="a",
        )
    assert first.version == 1
    with pytest.raises(mark_queries.MarkConflict) as conflict, db.write() as session:
        mark_queries.save_mark(
            session=session,
            town_id="kamiyama",
            function_id="0010001",
            status=Status.CUSTOMIZATION,
            note="b",
            cost=None,
            expected_version=0,
            changed_by="b",
        )
    assert conflict.value.current is not None and conflict.value.current.version == 1
    with db.write() as session:
        second = mark_queries.save_mark(
            session=session,
            town_id="kamiyama",
            function_id="0010001",
            status=Status.WORKFLOW_CHANGE,
            note="手順を変える",
            cost=Cost(1, 1),  # ignored: cost belongs to customizations only
            expected_version=1,
            changed_by="c",
        )
    assert (second.version, second.status, second.cost_initial_yen) == (2, "workflow_change", None)
    with pytest.raises(mark_queries.MarkConflict), db.write() as session:
        mark_queries.save_mark(
            session=session,
            town_id="kamiyama",
            function_id="0010001",
            status=Status.FIT,
            note=None,
            cost=None,
            expected_version=1,
            changed_by="d",
        )
    with db.session() as session:
        history = mark_queries.mark_history(session=session, function_id="0010001")
        assert [(h.version, h.changed_by) for h in history] == [(1, "a"), (2, "c")]


def test_history_is_append_only(files: Path, fitgap: Invoke, db: Database) -> None:
    loaded(files, fitgap)
    make_marks(files, "ishii", {"0010001": "fit"})
    fitgap("marks", "import", "marks/ishii.yaml")
    for statement in ("UPDATE mark_change SET status = 'customization'", "DELETE FROM mark_change"):
        with pytest.raises(DBAPIError, match="append-only"), db.write() as session:
            session.execute(text(statement))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MarkChange)) == 1


def test_upgrade_is_idempotent_and_current(db: Database) -> None:
    assert db.is_current()
    db.upgrade()
    assert db.is_current()


def test_sqlite_pragmas(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only; this run is on PostgreSQL")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_load_and_import_leave_the_planner_statistics_fresh(
    files: Path, fitgap: Invoke, db: Database
) -> None:
    loaded(files, fitgap)
    make_marks(files, "ishii", {"0010001": "fit", "0010002": "customization"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    with db.engine.connect() as connection:
        if db.is_sqlite:
            analyzed = connection.execute(text("SELECT tbl FROM sqlite_stat1")).scalars()
            assert {"catalog_function", "mark", "mark_change"} <= set(analyzed)
        else:
            statement = text(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                "AND last_analyze IS NOT NULL"
            )
            analyzed = connection.execute(statement).scalars()
            assert {"catalog_function", "mark", "mark_change"} <= set(analyzed)
