"""The scoreboard built from the marks' arrays (risk.columns.from_columns) is the scoreboard of
galapagos_risk: compared on generated projects, and through the database on the sample data."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from hypothesis import given
from sqlalchemy import text

from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.risk.columns import MarkColumns, from_columns
from fitgap.domain.risk.cost import cost_lens
from fitgap.domain.risk.report import to_contract_json, to_text
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.values import Mark, Status
from fitgap.services.scoring import scoreboard
from fitgap.store import marks as mark_queries
from tests.helpers import Invoke
from tests.strategies import PROPERTY, Project, all_scores, projects


def columns_of(project: Project) -> MarkColumns:
    """The arrays, filled from the project's Mark objects cell by cell."""
    columns = MarkColumns.empty(len(project.functions), len(project.towns))
    for i, function in enumerate(project.functions):
        for j, town in enumerate(project.towns):
            mark = project.cells.get((town.id, function.id))
            if mark is None:
                continue
            columns.statuses[i][j] = mark.status
            columns.marked[i] |= 1 << j
            if mark.note is not None or mark.cost is not None:
                found = columns.details[i] or {}
                found[j] = (mark.note, mark.cost, mark.priority, mark.as_is)
                columns.details[i] = found
    return columns


def assert_same_board(old: Scoreboard, new: Scoreboard) -> None:
    assert all_scores(new) == all_scores(old)
    assert to_contract_json(new) == to_contract_json(old)
    assert to_text(new) == to_text(old)
    assert cost_lens(new) == cost_lens(old)
    assert new.best_asks() == old.best_asks()
    for function in old.functions:
        assert new.evidence(function.id) == old.evidence(function.id)
        for town_id in old.town_ids:
            assert new.mark(town_id, function.id) == old.mark(town_id, function.id)


@PROPERTY
@given(projects())
def test_from_columns_gives_the_same_board(project: Project) -> None:
    assert_same_board(
        project.board(), from_columns(project.functions, project.towns, columns_of(project))
    )


@PROPERTY
@given(projects(min_towns=2))
def test_a_change_on_a_board_from_columns_is_the_same_change(project: Project) -> None:
    new = from_columns(project.functions, project.towns, columns_of(project))
    town, function = project.towns[-1], project.functions[0]
    mark = Mark(town.id, function.id, Status.CUSTOMIZATION, "独自の帳票")
    assert_same_board(project.board().with_mark(mark), new.with_mark(mark))


def test_the_database_read_gives_the_same_board(sample: Path, fitgap: Invoke, app: Flask) -> None:
    assert fitgap("load").exit_code == 0
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    assert fitgap("marks", "import", *marks).exit_code == 0
    database = app.extensions["fitgap.store.db"]
    with database.session() as session:
        data = mark_queries.scoring_input(session=session)
        old = galapagos_risk(data.functions, data.towns, data.marks)
        new = scoreboard(session=session)
        area = data.functions[-1].area_id
        in_area = [f for f in data.functions if f.area_id == area]
        old_area = galapagos_risk(in_area, data.towns, data.marks)
        new_area = scoreboard(session=session, area_id=area)
    assert any(m.note for m in data.marks) and any(m.cost for m in data.marks)
    assert_same_board(old, new)
    assert_same_board(old_area, new_area)
    # The JSON of the command is the contract's object, whatever its layout.
    assert json.loads(fitgap("score", "--format", "json").output) == json.loads(
        json.dumps(to_contract_json(old), ensure_ascii=False)
    )


def test_marks_of_archived_functions_and_of_other_areas_are_left_out(
    sample: Path, fitgap: Invoke, app: Flask
) -> None:
    # The marks are read without joining the catalog: a mark of an archived function, or of
    # another area, must find no function and count nowhere, as in scoring_input.
    assert fitgap("load").exit_code == 0
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    assert fitgap("marks", "import", *marks).exit_code == 0
    database = app.extensions["fitgap.store.db"]
    with database.write() as session:
        archived = (
            session.connection()
            .exec_driver_sql(
                "SELECT function_id FROM mark WHERE note IS NOT NULL OR priority IS NOT NULL "
                "ORDER BY function_id LIMIT 1"
            )
            .scalar_one()
        )
        session.execute(
            text("UPDATE catalog_function SET archived_at = CURRENT_TIMESTAMP WHERE id = :id"),
            {"id": archived},
        )
    with database.session() as session:
        data = mark_queries.scoring_input(session=session)
        assert archived not in {f.id for f in data.functions}
        assert_same_board(
            galapagos_risk(data.functions, data.towns, data.marks), scoreboard(session=session)
        )
        for area in sorted({f.area_id for f in data.functions}):
            in_area = [f for f in data.functions if f.area_id == area]
            old = galapagos_risk(in_area, data.towns, data.marks)
            assert_same_board(old, scoreboard(session=session, area_id=area))
