"""The history rows of a marks import, now copied from the marks just written by one
`INSERT … SELECT`, are the rows the old path wrote from Python (a second copy of every value):
same ids in the same order, versions, who, when, source, reason and every value, on SQLite and
PostgreSQL, through new marks, changed and unchanged ones, and a save from the screen between."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from fitgap.domain.files.catalog import MarksFile
from fitgap.domain.values import Cost, Mark, Priority, Status
from fitgap.store import marks, models
from fitgap.store.clocks import bump_area_clocks
from fitgap.store.db import Database, Progress, batches, bulk_insert
from fitgap.store.models import AreaClock, MarkChange
from fitgap.store.models import Mark as MarkRow
from tests.factories import make_area, make_function, make_town
from tests.helpers import empty_database

_MARK = MarkRow.__table__  # type: ignore[attr-defined]
_CHANGE = MarkChange.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 12, 6, 1, 2, 3, 456_789, tzinfo=UTC)


def old_import_marks(
    *,
    session: Session,
    files: Sequence[MarksFile],
    changed_by: str,
    source: str = "import",
    reason: str | None = None,
    progress: Progress | None = None,
) -> marks.ImportReport:
    """`store.marks.import_marks` as it was before the history rows were copied in SQL
    (commit 8666c68), unchanged but for this docstring and the module's names."""
    report = marks.ImportReport()
    now = models.utcnow()
    fingerprints = marks._fingerprints(session)
    towns = sorted({f.town_id for f in files})
    existing: dict[tuple[str, str], tuple[Any, ...]] = {}
    columns = (
        _MARK.c.id,
        _MARK.c.version,
        _MARK.c.status,
        _MARK.c.note,
        _MARK.c.cost_initial_yen,
        _MARK.c.cost_annual_yen,
        _MARK.c.priority,
        _MARK.c.as_is,
    )
    for town_id in towns:
        statement = select(_MARK.c.town_id, _MARK.c.function_id, *columns).where(
            _MARK.c.town_id == town_id
        )
        for row in session.execute(statement):
            existing[(row[0], row[1])] = tuple(row[2:])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for marks_file in files:
        for mark in marks_file.marks:
            initial, annual = marks._cost_columns(mark.cost)
            values = {
                "status": mark.status.value,
                "note": mark.note,
                "cost_initial_yen": initial,
                "cost_annual_yen": annual,
                "priority": mark.priority.value if mark.priority is not None else None,
                "as_is": mark.as_is,
                "fingerprint": fingerprints[mark.function_id],
            }
            old = existing.get((mark.town_id, mark.function_id))
            if old is None:
                version = 1
                inserts.append(
                    {
                        "town_id": mark.town_id,
                        "function_id": mark.function_id,
                        "version": version,
                        "updated_by": changed_by,
                        "updated_at": now,
                        **values,
                    }
                )
                report.added += 1
            elif old[2:] == (
                mark.status.value,
                mark.note,
                initial,
                annual,
                values["priority"],
                mark.as_is,
            ):
                report.unchanged += 1
                continue
            else:
                version = old[1] + 1
                updates.append(
                    {
                        "b_id": old[0],
                        "b_version": old[1],
                        "version": version,
                        "updated_by": changed_by,
                        "updated_at": now,
                        **values,
                    }
                )
                report.changed += 1
            history.append(
                {
                    "town_id": mark.town_id,
                    "function_id": mark.function_id,
                    "version": version,
                    "changed_by": changed_by,
                    "changed_at": now,
                    "source": source,
                    "reason": reason,
                    **values,
                }
            )
    bulk_insert(session, _MARK, inserts, progress)
    if updates:
        update_statement = (
            update(_MARK)
            .where(and_(_MARK.c.id == bindparam("b_id"), _MARK.c.version == bindparam("b_version")))
            .values(
                {
                    name: bindparam(name)
                    for name in (
                        "status",
                        "note",
                        "cost_initial_yen",
                        "cost_annual_yen",
                        "priority",
                        "as_is",
                        "fingerprint",
                        "version",
                        "updated_by",
                        "updated_at",
                    )
                }
            )
        )
        for batch in batches(updates):
            result = session.execute(update_statement, batch)
            # Someone changed one of these marks since we read them: refuse the whole import.
            if result.rowcount not in (-1, len(batch)):  # type: ignore[attr-defined]
                raise marks.MarkConflict(None)
            if progress:
                progress(len(batch))
    if history:
        areas = marks._function_areas(session)
        per_area: dict[str, int] = defaultdict(int)
        for change in history:
            per_area[areas[change["function_id"]]] += 1
        bump_area_clocks(session=session, changes=per_area)
    bulk_insert(session, _CHANGE, history)
    if progress:
        progress(report.unchanged)
    return report


Importer = Callable[..., marks.ImportReport]


def _file(town_id: str, *items: Mark) -> MarksFile:
    return MarksFile(town_id=town_id, marks=tuple(items), source=f"{town_id}.yaml")


def _mark(town_id: str, function_id: str, status: Status, **kw: Any) -> Mark:
    return Mark(town_id=town_id, function_id=function_id, status=status, **kw)


FUNCTIONS = {"juki": ["0010003", "0010001", "0010002", "0010004"], "zei": ["0020002", "0020001"]}
REASON = "様式が町独自のため"
FIRST = [
    _file(
        "ishii",
        _mark("ishii", "0020002", Status.FIT),
        _mark("ishii", "0010003", Status.CUSTOMIZATION, note=REASON, cost=Cost(1_000_000, 0)),
        _mark("ishii", "0010001", Status.WORKFLOW_CHANGE, note="窓口で対応", as_is="紙で受付"),
    ),
    _file("kamiyama", _mark("kamiyama", "0010002", Status.UNDECIDED, priority=Priority.REQUIRED)),
]
SECOND = [
    _file(
        "kamiyama",
        _mark("kamiyama", "0010004", Status.FIT),  # new
        _mark("kamiyama", "0010002", Status.UNDECIDED, priority=Priority.REQUIRED),  # unchanged
        _mark("kamiyama", "0020001", Status.NOT_APPLICABLE, note="対象外"),  # new
    ),
    _file(
        "ishii",
        _mark("ishii", "0010001", Status.FIT),  # changed twice now (the screen's save too)
        _mark("ishii", "0010004", Status.CUSTOMIZATION, note=REASON, cost=Cost(5, 7)),  # new
        _mark("ishii", "0020002", Status.FIT),  # unchanged
        _mark("ishii", "0010003", Status.CUSTOMIZATION, note="改めた理由", cost=None),  # changed
        _mark("ishii", "0020001", Status.WORKFLOW_CHANGE, as_is="現行の運用"),  # new
    ),
]


@pytest.fixture
def other_db(tmp_path: Path) -> Iterator[Database]:
    """A second empty, migrated database for the old path (a schema of its own on PostgreSQL)."""
    folder = tmp_path / "old"
    folder.mkdir()
    with empty_database(folder) as url:
        database = Database(url)
        database.upgrade()
        yield database
        database.dispose()


def _run(db: Database, importer: Importer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The same catalog, imports and screen save through `importer`; every row written."""
    for module in (marks, models):  # the old path called the models module's clock
        monkeypatch.setattr(module, "utcnow", lambda: NOW)
    with db.write() as session:
        for area_id, function_ids in FUNCTIONS.items():
            make_area(session, id=area_id, name=area_id)
            for function_id in function_ids:
                make_function(session, id=function_id, area_id=area_id)
        make_town(session, id="ishii")
        make_town(session, id="kamiyama")
    reports = []
    with db.write() as session:
        reports.append(importer(session=session, files=FIRST, changed_by="first"))
    with db.write() as session:
        marks.save_mark(
            session=session,
            town_id="ishii",
            function_id="0010001",
            status=Status.NOT_APPLICABLE,
            note="画面から",
            cost=None,
            expected_version=1,
            changed_by="screen",
        )
    with db.write() as session:
        reports.append(
            importer(
                session=session, files=SECOND, changed_by="second", source="sheet", reason="再提出"
            )
        )
    with db.session() as session:
        return {
            "reports": reports,
            "history": [
                tuple(row) for row in session.execute(select(_CHANGE).order_by(_CHANGE.c.id))
            ],
            "marks": [tuple(row) for row in session.execute(select(_MARK).order_by(_MARK.c.id))],
            "clocks": sorted(tuple(row) for row in session.execute(select(AreaClock.__table__))),  # type: ignore[attr-defined]
        }


def test_the_history_of_an_import_is_the_one_the_old_path_wrote(
    db: Database, other_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = _run(db, marks.import_marks, monkeypatch)
    old = _run(other_db, old_import_marks, monkeypatch)
    assert [(r.added, r.changed, r.unchanged) for r in new["reports"]] == [(4, 0, 0), (4, 2, 2)]
    assert new == old
    history = new["history"]
    assert len(history) == 4 + 1 + 6
    columns = [column.name for column in _CHANGE.c]
    rows = [dict(zip(columns, row, strict=True)) for row in history]
    # In the files' order, the screen's save between the imports.
    assert [(r["town_id"], r["function_id"], r["version"]) for r in rows] == [
        ("ishii", "0020002", 1),
        ("ishii", "0010003", 1),
        ("ishii", "0010001", 1),
        ("kamiyama", "0010002", 1),
        ("ishii", "0010001", 2),
        ("kamiyama", "0010004", 1),
        ("kamiyama", "0020001", 1),
        ("ishii", "0010001", 3),
        ("ishii", "0010004", 1),
        ("ishii", "0010003", 2),
        ("ishii", "0020001", 1),
    ]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    last = rows[-1]
    assert (last["changed_by"], last["source"], last["reason"], last["as_is"]) == (
        "second",
        "sheet",
        "再提出",
        "現行の運用",
    )
    assert last["changed_at"].replace(tzinfo=UTC) == NOW
    assert rows[1]["cost_initial_yen"] == 1_000_000 and rows[9]["cost_initial_yen"] is None


def test_an_import_that_fails_writes_no_history(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: a conflict in the updates leaves neither marks nor history behind."""
    monkeypatch.setattr(marks, "utcnow", lambda: NOW)
    with db.write() as session:
        for area_id, function_ids in FUNCTIONS.items():
            make_area(session, id=area_id, name=area_id)
            for function_id in function_ids:
                make_function(session, id=function_id, area_id=area_id)
        make_town(session, id="ishii")
        make_town(session, id="kamiyama")
        marks.import_marks(session=session, files=FIRST, changed_by="first")
    twice = [FIRST[0], _file("ishii", _mark("ishii", "0010004", Status.FIT)), FIRST[1]]
    with pytest.raises(IntegrityError), db.write() as session:
        marks.import_marks(session=session, files=[*SECOND, *twice], changed_by="second")
    with db.session() as session:
        assert len(session.execute(select(_CHANGE)).all()) == 4
