"""Reads and writes of the catalog and the towns: loading the files, listing areas, functions
and towns, progress per area. Functions take a keyword-only `session`; bulk work uses Core
executemany statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from fitgap.domain import values as domain
from fitgap.domain.files.catalog import Catalog
from fitgap.store.clocks import bump_catalog_clocks
from fitgap.store.db import Progress, batches, bulk_insert
from fitgap.store.models import Area, CatalogFunction, Mark, Town, utcnow

_area = Area.__table__  # type: ignore[attr-defined]
_function = CatalogFunction.__table__  # type: ignore[attr-defined]
_town = Town.__table__  # type: ignore[attr-defined]
_mark = Mark.__table__  # type: ignore[attr-defined]


# --- catalog and towns -----------------------------------------------------------------------


@dataclass
class LoadReport:
    """What a catalog load changed, for the command line and the log."""

    areas: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    functions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    towns: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changed_functions: list[str] = field(default_factory=list)


def _sync(
    session: Session,
    table: Any,
    wanted: dict[str, dict[str, Any]],
    compared: Sequence[str],
    counts: dict[str, int],
    now: datetime,
    progress: Progress | None = None,
) -> list[str]:
    """Insert new rows, update changed ones, archive vanished ones; returns ids whose content
    changed. Rows are never deleted, so marks on them survive."""
    columns = [table.c.id, table.c.archived_at, *(table.c[name] for name in compared)]
    existing = {row[0]: row for row in session.execute(select(*columns))}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changed: list[str] = []
    for row_id, values in wanted.items():
        old = existing.get(row_id)
        if old is None:
            inserts.append({"id": row_id, "archived_at": None, **values})
            counts["added"] += 1
            continue
        differs = [name for i, name in enumerate(compared) if old[i + 2] != values[name]]
        if differs or old[1] is not None:
            updates.append({"b_id": row_id, "archived_at": None, **values})
            counts["restored" if old[1] is not None else "updated"] += 1
            if "fingerprint" in differs:
                changed.append(row_id)
        else:
            counts["unchanged"] += 1
    archive = [
        {"b_id": row_id}
        for row_id, row in existing.items()
        if row_id not in wanted and row[1] is None
    ]
    counts["archived"] += len(archive)
    bulk_insert(session, table, inserts, progress)
    if updates:
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(name) for name in ["archived_at", *compared]})
        )
        for batch in batches(updates):
            session.execute(statement, batch)
            if progress:
                progress(len(batch))
    if archive:
        statement = update(table).where(table.c.id == bindparam("b_id")).values(archived_at=now)
        session.execute(statement, archive)
    if progress:
        progress(len(wanted) - len(inserts) - len(updates))
    return changed


_AREA_COLUMNS = ("name", "name_en", "spec_title", "spec_version", "position")
_FUNCTION_COLUMNS = (
    "area_id",
    "position",
    "name",
    "requirement",
    "text",
    "note",
    "path",
    "forms",
    "extra",
    "fingerprint",
)
_TOWN_COLUMNS = (
    "name",
    "prefecture",
    "population",
    "households",
    "budget_yen",
    "area_km2",
    "position",
    "code",
    "current_annual_yen",
    "migration_yen",
    "membership",
    "left_since",
    "left_reason",
)


def load_catalog(
    *,
    session: Session,
    catalog: Catalog,
    towns: Sequence[domain.Town],
    progress: Progress | None = None,
) -> LoadReport:
    """Bring areas, functions and towns in line with the files; marks are never touched."""
    report = LoadReport()
    now = utcnow()
    areas = {
        area.id: {
            "name": area.name,
            "name_en": area.name_en,
            "spec_title": area.spec_title,
            "spec_version": area.spec_version,
            "position": position,
        }
        for position, area in enumerate(catalog.areas)
    }
    _sync(session, _area, areas, _AREA_COLUMNS, report.areas, now)
    functions = {
        function.id: {
            "area_id": function.area_id,
            "position": position,
            "name": function.name,
            "requirement": function.requirement.value,
            "text": function.text,
            "note": function.note,
            "path": list(function.path),
            "forms": list(function.forms),
            "extra": function.extra,
            "fingerprint": function.fingerprint,
        }
        for area in catalog.areas
        for position, function in enumerate(area.functions)
    }
    report.changed_functions = _sync(
        session, _function, functions, _FUNCTION_COLUMNS, report.functions, now, progress
    )
    town_rows = {
        town.id: {
            "name": town.name,
            "prefecture": town.prefecture,
            "population": town.population,
            "households": town.households,
            "budget_yen": town.budget_yen,
            "area_km2": town.area_km2,
            "position": position,
            "code": town.code,
            "current_annual_yen": town.current_annual_yen,
            "migration_yen": town.migration_yen,
            "membership": town.membership.value,
            "left_since": town.left_since,
            "left_reason": town.left_reason,
        }
        for position, town in enumerate(towns)
    }
    _sync(session, _town, town_rows, _TOWN_COLUMNS, report.towns, now)
    session.flush()
    bump_catalog_clocks(session=session)
    return report


def active_town_ids(*, session: Session) -> frozenset[str]:
    """Ids of the towns currently taking part."""
    rows = session.execute(select(_town.c.id).where(_town.c.archived_at.is_(None)))
    return frozenset(row[0] for row in rows)


def active_function_ids(*, session: Session) -> frozenset[str]:
    """Ids of the functions of the current catalog."""
    rows = session.execute(select(_function.c.id).where(_function.c.archived_at.is_(None)))
    return frozenset(row[0] for row in rows)


def list_towns(*, session: Session) -> list[Town]:
    """The group's member towns, in file order (団体コード order when the files give codes).

    Candidates and towns that left are not part of the group: they count in no score, meeting
    or grid; only the group page (list_all_towns) weighs them."""
    statement = (
        select(Town)
        .where(_town.c.archived_at.is_(None), _town.c.membership == domain.Membership.MEMBER.value)
        .order_by(_town.c.position, _town.c.id)
    )
    return list(session.scalars(statement))


def list_all_towns(*, session: Session) -> list[Town]:
    """Every town of the files, members, candidates and towns that left, in file order."""
    statement = (
        select(Town).where(_town.c.archived_at.is_(None)).order_by(_town.c.position, _town.c.id)
    )
    return list(session.scalars(statement))


def list_areas(*, session: Session) -> list[Area]:
    """The business areas of the current catalog, in file order."""
    statement = (
        select(Area).where(_area.c.archived_at.is_(None)).order_by(_area.c.position, _area.c.id)
    )
    return list(session.scalars(statement))


def get_area(*, session: Session, area_id: str) -> Area | None:
    """One business area, archived or not."""
    return session.get(Area, area_id)


def get_function(*, session: Session, function_id: str) -> CatalogFunction | None:
    """One function, archived or not."""
    return session.get(CatalogFunction, function_id)


def function_names(*, session: Session, function_ids: Iterable[str]) -> dict[str, str]:
    """The names of these functions (archived ones too), by id; unknown ids are left out."""
    wanted = sorted(set(function_ids))
    names: dict[str, str] = {}
    # In slices, so that a long list stays within every database's parameter limit.
    for start in range(0, len(wanted), 500):
        statement = select(_function.c.id, _function.c.name).where(
            _function.c.id.in_(wanted[start : start + 500])
        )
        names.update({row[0]: row[1] for row in session.execute(statement)})
    return names


def count_functions(*, session: Session, area_id: str) -> int:
    """How many current functions an area has."""
    statement = select(func.count()).where(
        _function.c.area_id == area_id, _function.c.archived_at.is_(None)
    )
    return int(session.execute(statement).scalar_one())


def area_functions(
    *, session: Session, area_id: str, offset: int = 0, limit: int | None = None
) -> list[CatalogFunction]:
    """A page of an area's current functions, in catalog order."""
    statement = (
        select(CatalogFunction)
        .where(_function.c.area_id == area_id, _function.c.archived_at.is_(None))
        .order_by(_function.c.position, _function.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(statement))


def marks_for_functions(
    *, session: Session, function_ids: Sequence[str]
) -> dict[tuple[str, str], Mark]:
    """The marks of the given functions by (town id, function id)."""
    if not function_ids:
        return {}
    statement = select(Mark).where(Mark.function_id.in_(function_ids))  # type: ignore[attr-defined]
    return {(mark.town_id, mark.function_id): mark for mark in session.scalars(statement)}


@dataclass(frozen=True, slots=True)
class AreaProgress:
    """How far one town has got with one area."""

    total: int
    counts: dict[str, int]

    @property
    def decided(self) -> int:
        """Functions with a verdict other than undecided."""
        return sum(n for status, n in self.counts.items() if status != "undecided")


def area_progress(*, session: Session) -> dict[tuple[str, str], AreaProgress]:
    """Per (area id, town id): how many functions each status has; unmarked ones undecided."""
    totals = dict(
        session.execute(
            select(_function.c.area_id, func.count())
            .where(_function.c.archived_at.is_(None))
            .group_by(_function.c.area_id)
        ).all()
    )
    statement = (
        select(_function.c.area_id, _mark.c.town_id, _mark.c.status, func.count())
        .join(_function, _function.c.id == _mark.c.function_id)
        .where(_function.c.archived_at.is_(None))
        .group_by(_function.c.area_id, _mark.c.town_id, _mark.c.status)
    )
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for area_id, town_id, status, count in session.execute(statement):
        counts[(area_id, town_id)][status] = count
    result: dict[tuple[str, str], AreaProgress] = {}
    towns = active_town_ids(session=session)
    for area_id, total in totals.items():
        for town_id in towns:
            by_status = counts.get((area_id, town_id), {})
            marked = sum(by_status.values())
            with_undecided = {**by_status}
            with_undecided["undecided"] = with_undecided.get("undecided", 0) + total - marked
            result[(area_id, town_id)] = AreaProgress(total=total, counts=with_undecided)
    return result
