"""The per-area clocks that tell kept scoreboards what changed: raised in the writing
transaction, read (with the history rows since) in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from fitgap.store.models import Area, AreaClock, CatalogFunction, MarkChange

_area = Area.__table__  # type: ignore[attr-defined]
_function = CatalogFunction.__table__  # type: ignore[attr-defined]
_change = MarkChange.__table__  # type: ignore[attr-defined]
_clock = AreaClock.__table__  # type: ignore[attr-defined]


# --- area clocks ---
# Every change of a mark adds one history row and raises its area's clock by one in the same
# transaction, before the history row is written. Raising the clock locks its row until the
# commit, so the writers of one area take turns from there on and the area's history ids are
# in commit order: a reader that knows the clock and the last history id it applied finds
# exactly the changes since, in one statement (one snapshot on either database).


def bump_area_clocks(*, session: Session, changes: Mapping[str, int]) -> None:
    """Raise the mark clocks of these areas by these numbers of changes (in area order, so
    that two transactions never wait for each other's clocks)."""
    for area_id in sorted(changes):
        _bump(session, area_id, "changes", changes[area_id])


def bump_catalog_clocks(*, session: Session) -> None:
    """Tell every area's kept scoreboards that the catalog was loaded again."""
    for area_id in session.execute(select(_area.c.id).order_by(_area.c.id)).scalars():
        _bump(session, area_id, "catalog", 1)


def _bump(session: Session, area_id: str, column: str, by: int) -> None:
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"changes": 0, "catalog": 0, column: by}
    statement = upsert(_clock).values(area_id=area_id, **values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[_clock.c.area_id],
            set_={column: _clock.c[column] + statement.excluded[column]},
        )
    )


@dataclass(frozen=True, slots=True)
class Clocks:
    """The clocks of one area or of all: each area's mark clock, and the catalog clocks'
    sum (which moves with every catalog load)."""

    marks: dict[str, int]
    catalog: int

    @property
    def stamp(self) -> str:
        """One short text that changes whenever any of these clocks moves."""
        return f"{sum(self.marks.values())}-{self.catalog}"


def clocks(*, session: Session, area_id: str | None) -> Clocks:
    """The clocks of an area (None: of the whole project): one small read."""
    statement = select(_clock.c.area_id, _clock.c.changes, _clock.c.catalog)
    if area_id is not None:
        statement = statement.where(_clock.c.area_id == area_id)
    marks: dict[str, int] = {}
    catalog = 0
    for row in session.execute(statement):
        marks[row[0]] = int(row[1])
        catalog += int(row[2])
    return Clocks(marks, catalog)


def _history_with_area() -> Any:
    return select(_change.c.id, _change.c.town_id, _change.c.function_id, _function.c.area_id).join(
        _function, _function.c.id == _change.c.function_id
    )


def clock_start(*, session: Session, area_id: str | None) -> tuple[dict[str, int], dict[str, int]]:
    """Each area's mark clock and last history id (of one area, or all), read together in
    one statement: where a new board starts from."""
    history = _history_with_area().subquery()
    last = (
        select(func.coalesce(func.max(history.c.id), 0))
        .where(history.c.area_id == _clock.c.area_id)
        .scalar_subquery()
    )
    statement = select(_clock.c.area_id, _clock.c.changes, last)
    if area_id is not None:
        statement = statement.where(_clock.c.area_id == area_id)
    marks: dict[str, int] = {}
    lasts: dict[str, int] = {}
    for row in session.execute(statement):
        marks[row[0]] = int(row[1])
        lasts[row[0]] = int(row[2])
    return marks, lasts


def changes_since(
    *, session: Session, area_id: str | None, after: int
) -> tuple[dict[str, int], list[tuple[str, int, str, str]]]:
    """Each area's mark clock (of one area, or all) and the history rows (area id, id,
    town id, function id) after history id `after`, in one statement so that both come from
    the same moment."""
    # The few rows after `after` first, found by the history's key, then their areas: left
    # to itself, a planner without fresh statistics walks all the area's functions and their
    # whole history instead (15 ms on PostgreSQL right after a big import, not 0.5 ms).
    recent = (
        select(_change.c.id, _change.c.town_id, _change.c.function_id)
        .where(_change.c.id > after)
        .cte("recent")
        .prefix_with("MATERIALIZED")
    )
    history = select(recent.c.id, recent.c.town_id, recent.c.function_id, _function.c.area_id).join(
        _function, _function.c.id == recent.c.function_id
    )
    if area_id is not None:
        history = history.where(_function.c.area_id == area_id)
    found = history.subquery()
    statement = (
        select(_clock.c.area_id, _clock.c.changes, found.c.id, found.c.town_id, found.c.function_id)
        .select_from(_clock.outerjoin(found, found.c.area_id == _clock.c.area_id))
        .order_by(found.c.id)
    )
    if area_id is not None:
        statement = statement.where(_clock.c.area_id == area_id)
    marks: dict[str, int] = {}
    rows: list[tuple[str, int, str, str]] = []
    for row in session.execute(statement):
        marks[row[0]] = int(row[1])
        if row[2] is not None:
            rows.append((row[0], int(row[2]), row[3], row[4]))
    return marks, rows
