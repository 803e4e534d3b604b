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
# models.CatalogFunction, models.Area. Every mark's status is read as three columns, without
# joining the catalog (a mark of an archived function, or of another area, finds no function
# in the index and is left out); what only some marks carry (a note, a cost, a priority, the
# as-is) is read from just those marks. Both reads see one snapshot: on SQLite they are two
# statements of one read transaction; on PostgreSQL (a snapshot per statement) one statement.
_MARKS_SQL = "SELECT m.function_id, m.town_id, m.status FROM mark m"
_DETAILS_SQL = (
    "SELECT m.function_id, m.town_id, m.note, m.cost_initial_yen, m.cost_annual_yen, "
    "m.priority, m.as_is FROM mark m WHERE (m.note IS NOT NULL OR m.cost_initial_yen IS NOT NULL "
    "OR m.cost_annual_yen IS NOT NULL OR m.priority IS NOT NULL OR m.as_is IS NOT NULL)"
)
_BOTH_SQL = (  # PostgreSQL: the two in one statement, told apart by the status (never NULL)
    "SELECT m.function_id, m.town_id, m.status, NULL, NULL, NULL, NULL, NULL "
    "FROM mark m{where_area} UNION ALL SELECT m.function_id, m.town_id, NULL, m.note, "
    "m.cost_initial_yen, m.cost_annual_yen, m.priority, m.as_is FROM mark m "
    "WHERE (m.note IS NOT NULL OR m.cost_initial_yen IS NOT NULL "
    "OR m.cost_annual_yen IS NOT NULL OR m.priority IS NOT NULL OR m.as_is IS NOT NULL)"
    "{and_area}"
)
_IN_AREA = "m.function_id IN (SELECT f.id FROM catalog_function f WHERE f.area_id = {area})"
_FUNCTIONS_SQL = (
    "SELECT f.id, f.area_id, f.name, f.requirement, f.text, f.path, f.note, f.forms, f.extra, "
    "a.position, f.position FROM catalog_function f JOIN area a ON a.id = f.area_id "
    "WHERE f.archived_at IS NULL"
)

Rows = list[tuple[Any, ...]]


def scoring_columns(
    *, session: Session, area_id: str | None = None
) -> tuple[list[domain.Function], list[domain.Town], MarkColumns]:
    """The same data as scoring_input, with the marks as the engine's arrays (risk.columns):
    read straight from the DB-API cursor, without a Row or a Mark object per mark."""
    functions = _current_functions(session, area_id)
    towns = scoring_towns(session)
    function_index = {function.id: i for i, function in enumerate(functions)}
    town_index = {town.id: j for j, town in enumerate(towns)}
    town_bit = {town_id: (j, 1 << j) for town_id, j in town_index.items()}
    columns = MarkColumns.empty(len(functions), len(towns))
    statuses, marked, details = columns.statuses, columns.marked, columns.details
    status_of, index_of, bit_of = STATUS_OF, function_index.get, town_bit.get
    status_rows, detail_rows = _mark_rows(session, area_id)
    for function_id, town_id, status in status_rows:
        i = index_of(function_id)
        found = bit_of(town_id)
        if i is None or found is None:
            continue
        j, bit = found
        statuses[i][j] = status_of[status]
        marked[i] |= bit
    costs: dict[tuple[int | None, int | None], domain.Cost | None] = {(None, None): None}
    for function_id, town_id, note, initial, annual, priority, as_is in detail_rows:
        i = index_of(function_id)
        column = town_index.get(town_id)
        if i is None or column is None:
            continue
        if note is not None or initial is not None or annual is not None or priority or as_is:
            if (initial, annual) not in costs:  # a Cost is a frozen value: one per amount
                costs[initial, annual] = domain.Cost.of(initial, annual)
            kept = details[i]
            if kept is None:
                kept = details[i] = {}
            priority_of = domain.Priority(priority) if priority else None
            kept[column] = (note, costs[initial, annual], priority_of, as_is)
    return functions, towns, columns


def _mark_rows(session: Session, area_id: str | None) -> tuple[Rows, Rows]:
    """(function, town, status) of every mark, and (function, town, note, initial, annual,
    priority, as-is) of the marks that carry any of those, from one snapshot."""
    area = area_id is not None
    if session.connection().dialect.name == "sqlite":
        return (
            _raw_rows(session, _MARKS_SQL + (f" WHERE {_IN_AREA}" if area else ""), area_id),
            _raw_rows(session, _DETAILS_SQL + (f" AND {_IN_AREA}" if area else ""), area_id),
        )
    sql = _BOTH_SQL.replace("{where_area}", f" WHERE {_IN_AREA}" if area else "")
    rows = _raw_rows(
        session, sql.replace("{and_area}", f" AND {_IN_AREA}" if area else ""), area_id
    )
    return (
        [row[:3] for row in rows if row[2] is not None],
        [row[:2] + row[3:] for row in rows if row[2] is None],
    )


def _raw_rows(session: Session, sql: str, area_id: str | None) -> list[tuple[Any, ...]]:
    """Rows of `sql` from the DB-API cursor itself; `{area}` in it stands for the area."""
    connection = session.connection()
    parameters: dict[str, Any] = {}
    if area_id is not None:
        placeholder = ":area" if connection.dialect.name == "sqlite" else "%(area)s"
        sql = sql.replace("{area}", placeholder)
        parameters["area"] = area_id
    with driver_errors(connection, sql):
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, parameters)
            return list(cursor.fetchall())
        finally:
            cursor.close()


_REQUIREMENT_OF = {r.value: r for r in domain.Requirement}


def _current_functions(session: Session, area_id: str | None) -> list[domain.Function]:
    area_sql = " AND f.area_id = {area}" if area_id is not None else ""
    rows = _raw_rows(session, _FUNCTIONS_SQL + area_sql, area_id)
    rows.sort(key=lambda row: (row[9], row[10], row[0]))  # as scoring_input orders them
    # SQLite hands JSON columns over as text, psycopg has already parsed them. The paths and
    # forms of a catalog repeat from function to function: each text is parsed once (into a
    # tuple, shared); the extras are mostly empty, and each function gets a dict of its own.
    parsed: dict[str, tuple[Any, ...]] = {}

    def sequence(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, str):
            return tuple(value)
        found = parsed.get(value)
        if found is None:
            found = parsed[value] = tuple(json.loads(value))
        return found

    def mapping(value: Any) -> dict[str, Any]:
        if not isinstance(value, str):
            return dict(value)
        return {} if value == "{}" else dict(json.loads(value))

    requirement_of = _REQUIREMENT_OF
    return [
        domain.Function(
            id=row[0],
            area_id=row[1],
            name=row[2],
            requirement=requirement_of[row[3]],
            text=row[4],
            path=sequence(row[5]),
            note=row[6],
            forms=sequence(row[7]),
            extra=mapping(row[8]),
        )
        for row in rows
    ]
