"""Reads for scoring a whole project: the catalog and the marks straight from the DB-API
cursor into the risk engine's arrays (fitgap.domain.risk.columns), without an ORM object, a
SQLAlchemy row or a Mark per mark. At 600,000 marks those objects cost more than the scoring.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from fitgap.domain import values as domain
from fitgap.domain.risk.columns import STATUS_OF, MarkColumns
from fitgap.store.db import driver_errors
from fitgap.store.marks import scoring_towns

# Fixed statements (the area, when there is one, is a bound parameter). Tables: models.Mark,
# models.CatalogFunction, models.Area.
_MARKS_SQL = (
    "SELECT m.town_id, m.function_id, m.status, m.note, m.cost_initial_yen, m.cost_annual_yen, "
    "m.priority, m.as_is "
    "FROM mark m JOIN catalog_function f ON f.id = m.function_id WHERE f.archived_at IS NULL"
)
_FUNCTIONS_SQL = (
    "SELECT f.id, f.area_id, f.name, f.requirement, f.text, f.path, f.note, f.forms, f.extra, "
    "a.position, f.position FROM catalog_function f JOIN area a ON a.id = f.area_id "
    "WHERE f.archived_at IS NULL"
)


def scoring_columns(
    *, session: Session, area_id: str | None = None
) -> tuple[list[domain.Function], list[domain.Town], MarkColumns]:
    """The same data as scoring_input, with the marks as the engine's arrays (risk.columns):
    read straight from the DB-API cursor, without a Row or a Mark object per mark."""
    functions = _current_functions(session, area_id)
    towns = scoring_towns(session)
    function_index = {function.id: i for i, function in enumerate(functions)}
    town_index = {town.id: j for j, town in enumerate(towns)}
    columns = MarkColumns.empty(len(functions), len(towns))
    statuses, marked, details = columns.statuses, columns.marked, columns.details
    status_of = STATUS_OF
    for town_id, function_id, status, note, initial, annual, priority, as_is in _raw_rows(
        session, _MARKS_SQL, area_id
    ):
        i = function_index.get(function_id)
        j = town_index.get(town_id)
        if i is None or j is None:
            continue
        statuses[i][j] = status_of[status]
        marked[i] |= 1 << j
        if note is not None or initial is not None or annual is not None or priority or as_is:
            cost = None if initial is None and annual is None else domain.Cost.of(initial, annual)
            found = details[i]
            if found is None:
                found = details[i] = {}
            found[j] = (note, cost, domain.Priority(priority) if priority else None, as_is)
    return functions, towns, columns


def _raw_rows(session: Session, sql: str, area_id: str | None) -> list[tuple[Any, ...]]:
    """Rows of `sql` (optionally limited to the area of f) from the DB-API cursor itself."""
    connection = session.connection()
    parameters: dict[str, Any] = {}
    if area_id is not None:
        placeholder = ":area" if connection.dialect.name == "sqlite" else "%(area)s"
        sql += f" AND f.area_id = {placeholder}"
        parameters["area"] = area_id
    with driver_errors(connection, sql):
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, parameters)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def _json_value(value: Any) -> Any:
    # SQLite hands JSON columns over as text; psycopg has already parsed them.
    return json.loads(value) if isinstance(value, str) else value


def _current_functions(session: Session, area_id: str | None) -> list[domain.Function]:
    rows = _raw_rows(session, _FUNCTIONS_SQL, area_id)
    rows.sort(key=lambda row: (row[9], row[10], row[0]))  # as scoring_input orders them
    return [
        domain.Function(
            id=row[0],
            area_id=row[1],
            name=row[2],
            requirement=domain.Requirement(row[3]),
            text=row[4],
            path=tuple(_json_value(row[5])),
            note=row[6],
            forms=tuple(_json_value(row[7])),
            extra=dict(_json_value(row[8])),
        )
        for row in rows
    ]
