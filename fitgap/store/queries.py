"""Every read and write of the database, as functions taking a keyword-only `session`.

Views and commands call these; none of them builds SQL itself. Bulk work (catalog loads,
marks imports) uses Core executemany statements, because 600,000 marks must import in seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from fitgap.domain import values as domain
from fitgap.domain.files.catalog import Catalog, MarksFile
from fitgap.store.models import Area, AreaClock, CatalogFunction, Mark, MarkChange, Town, utcnow

Progress = Callable[[int], None]

_area = Area.__table__  # type: ignore[attr-defined]
_function = CatalogFunction.__table__  # type: ignore[attr-defined]
_town = Town.__table__  # type: ignore[attr-defined]
_mark = Mark.__table__  # type: ignore[attr-defined]
_change = MarkChange.__table__  # type: ignore[attr-defined]
_clock = AreaClock.__table__  # type: ignore[attr-defined]

BATCH = 5_000


def _batches(rows: list[dict[str, Any]], size: int = BATCH) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


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
    for batch in _batches(inserts):
        session.execute(insert(table), batch)
        if progress:
            progress(len(batch))
    if updates:
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(name) for name in ["archived_at", *compared]})
        )
        for batch in _batches(updates):
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
    """The towns taking part, in file order."""
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


# --- marks -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What a marks import changed."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class MarkState:
    """A mark as saved, detached from any session (safe to keep after a rollback)."""

    town_id: str
    function_id: str
    status: str
    note: str | None
    cost_initial_yen: int | None
    cost_annual_yen: int | None
    version: int
    fingerprint: str
    updated_by: str
    updated_at: datetime

    def as_domain(self) -> domain.Mark:
        """The same mark as a domain object (for the risk engine)."""
        return _domain_mark(
            (
                self.town_id,
                self.function_id,
                self.status,
                self.note,
                self.cost_initial_yen,
                self.cost_annual_yen,
            )
        )


class MarkConflict(Exception):
    """Someone saved the mark since the user loaded it; carries the newer mark."""

    def __init__(self, current: MarkState | None) -> None:
        self.current = current
        super().__init__("the mark was changed by someone else")


def _cost_columns(cost: domain.Cost | None) -> tuple[int | None, int | None]:
    return (cost.initial_yen, cost.annual_yen) if cost is not None else (None, None)


def _fingerprints(session: Session) -> dict[str, str]:
    return dict(session.execute(select(_function.c.id, _function.c.fingerprint)).all())


def _function_areas(session: Session) -> dict[str, str]:
    return dict(session.execute(select(_function.c.id, _function.c.area_id)).all())


def import_marks(
    *,
    session: Session,
    files: Sequence[MarksFile],
    changed_by: str,
    source: str = "import",
    reason: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Apply marks files: new marks are added, changed ones get a new version; every change
    goes into the history. Marks missing from a file stay as they are."""
    report = ImportReport()
    now = utcnow()
    fingerprints = _fingerprints(session)
    towns = sorted({f.town_id for f in files})
    existing: dict[tuple[str, str], tuple[Any, ...]] = {}
    columns = (
        _mark.c.id,
        _mark.c.version,
        _mark.c.status,
        _mark.c.note,
        _mark.c.cost_initial_yen,
        _mark.c.cost_annual_yen,
    )
    for town_id in towns:
        statement = select(_mark.c.town_id, _mark.c.function_id, *columns).where(
            _mark.c.town_id == town_id
        )
        for row in session.execute(statement):
            existing[(row[0], row[1])] = tuple(row[2:])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for marks_file in files:
        for mark in marks_file.marks:
            initial, annual = _cost_columns(mark.cost)
            values = {
                "status": mark.status.value,
                "note": mark.note,
                "cost_initial_yen": initial,
                "cost_annual_yen": annual,
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
            elif old[2:] == (mark.status.value, mark.note, initial, annual):
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
    for batch in _batches(inserts):
        session.execute(insert(_mark), batch)
        if progress:
            progress(len(batch))
    if updates:
        update_statement = (
            update(_mark)
            .where(and_(_mark.c.id == bindparam("b_id"), _mark.c.version == bindparam("b_version")))
            .values(
                {
                    name: bindparam(name)
                    for name in (
                        "status",
                        "note",
                        "cost_initial_yen",
                        "cost_annual_yen",
                        "fingerprint",
                        "version",
                        "updated_by",
                        "updated_at",
                    )
                }
            )
        )
        for batch in _batches(updates):
            result = session.execute(update_statement, batch)
            # Someone changed one of these marks since we read them: refuse the whole import.
            if result.rowcount not in (-1, len(batch)):  # type: ignore[attr-defined]
                raise MarkConflict(None)
            if progress:
                progress(len(batch))
    if history:
        areas = _function_areas(session)
        per_area: dict[str, int] = defaultdict(int)
        for change in history:
            per_area[areas[change["function_id"]]] += 1
        bump_area_clocks(session=session, changes=per_area)
    for batch in _batches(history):
        session.execute(insert(_change), batch)
    if progress:
        progress(report.unchanged)
    return report


def save_mark(
    *,
    session: Session,
    town_id: str,
    function_id: str,
    status: domain.Status,
    note: str | None,
    cost: domain.Cost | None,
    expected_version: int,
    changed_by: str,
    source: str = "web",
    reason: str | None = None,
) -> MarkState:
    """Save one mark if nobody changed it since `expected_version` (0: no mark yet);
    otherwise raise MarkConflict with the newer mark. Also appends to the history."""
    function_row = session.get(CatalogFunction, function_id)
    if function_row is None:
        raise LookupError(function_id)
    now = utcnow()
    initial, annual = _cost_columns(cost if status is domain.Status.CUSTOMIZATION else None)
    values: dict[str, Any] = {
        "status": status.value,
        "note": note,
        "cost_initial_yen": initial,
        "cost_annual_yen": annual,
        "fingerprint": function_row.fingerprint,
    }
    version = expected_version + 1
    if expected_version == 0:
        exists = session.execute(
            select(_mark.c.id).where(_mark.c.town_id == town_id, _mark.c.function_id == function_id)
        ).first()
        if exists is not None:
            raise MarkConflict(_current_mark(session, town_id, function_id))
        try:
            # Two first saves can both see "no mark yet" (PostgreSQL runs them side by side);
            # the unique key lets one win, and the savepoint keeps our transaction usable.
            with session.begin_nested():
                session.execute(
                    insert(_mark).values(
                        town_id=town_id,
                        function_id=function_id,
                        version=version,
                        updated_by=changed_by,
                        updated_at=now,
                        **values,
                    )
                )
        except IntegrityError:
            raise MarkConflict(_current_mark(session, town_id, function_id)) from None
    else:
        result = session.execute(
            update(_mark)
            .where(
                _mark.c.town_id == town_id,
                _mark.c.function_id == function_id,
                _mark.c.version == expected_version,
            )
            .values(version=version, updated_by=changed_by, updated_at=now, **values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise MarkConflict(_current_mark(session, town_id, function_id))
    mark = _current_mark(session, town_id, function_id)
    assert mark is not None  # noqa: S101 - written just above in this transaction
    # The clock last: its row stays locked until the commit, and every writer of the area
    # waits for it, so nothing else is done while it is held.
    bump_area_clocks(session=session, changes={function_row.area_id: 1})
    session.execute(
        insert(_change).values(
            town_id=town_id,
            function_id=function_id,
            version=version,
            changed_by=changed_by,
            changed_at=now,
            source=source,
            reason=reason,
            **values,
        )
    )
    return mark


_STATE_COLUMNS = [_mark.c[f.name] for f in fields(MarkState)]


def _current_mark(session: Session, town_id: str, function_id: str) -> MarkState | None:
    statement = select(*_STATE_COLUMNS).where(
        _mark.c.town_id == town_id, _mark.c.function_id == function_id
    )
    row = session.execute(statement).first()
    return MarkState(*row) if row is not None else None


def get_mark(*, session: Session, town_id: str, function_id: str) -> MarkState | None:
    """One town's current mark on one function, if any."""
    return _current_mark(session, town_id, function_id)


def mark_history(*, session: Session, function_id: str) -> list[MarkChange]:
    """Every change of every town's mark on a function, oldest first."""
    statement = (
        select(MarkChange).where(MarkChange.function_id == function_id).order_by(MarkChange.id)  # type: ignore[arg-type]
    )
    return list(session.scalars(statement))


def _domain_mark(row: Any) -> domain.Mark:
    town_id, function_id, status, note, initial, annual = row
    cost = None
    if initial is not None or annual is not None:
        cost = domain.Cost(initial_yen=initial or 0, annual_yen=annual or 0)
    return domain.Mark(
        town_id=town_id,
        function_id=function_id,
        status=domain.Status(status),
        note=note,
        cost=cost,
    )


_MARK_ROW = (
    _mark.c.town_id,
    _mark.c.function_id,
    _mark.c.status,
    _mark.c.note,
    _mark.c.cost_initial_yen,
    _mark.c.cost_annual_yen,
)


def export_marks(*, session: Session, town_id: str) -> list[domain.Mark]:
    """A town's marks in catalog order (area order, then function order) as domain marks."""
    statement = (
        select(*_MARK_ROW)
        .join(_function, _function.c.id == _mark.c.function_id)
        .join(_area, _area.c.id == _function.c.area_id)
        .where(_mark.c.town_id == town_id, _function.c.archived_at.is_(None))
        .order_by(_area.c.position, _function.c.position, _function.c.id)
    )
    return [_domain_mark(row) for row in session.execute(statement)]


def _domain_function(row: CatalogFunction) -> domain.Function:
    return domain.Function(
        id=row.id,
        area_id=row.area_id,
        name=row.name,
        requirement=domain.Requirement(row.requirement),
        text=row.text,
        path=tuple(row.path),
        note=row.note,
        forms=tuple(row.forms),
        extra=dict(row.extra),
    )


@dataclass(frozen=True, slots=True)
class ScoringInput:
    """Everything the risk engine needs, as domain objects."""

    functions: list[domain.Function]
    towns: list[domain.Town]
    marks: list[domain.Mark]


def scoring_input(*, session: Session, area_id: str | None = None) -> ScoringInput:
    """The current catalog, towns and marks (optionally of one area) for scoring."""
    function_filter = [_function.c.archived_at.is_(None)]
    if area_id is not None:
        function_filter.append(_function.c.area_id == area_id)
    statement = (
        select(CatalogFunction)
        .join(_area, _area.c.id == _function.c.area_id)
        .where(*function_filter)
        .order_by(_area.c.position, _function.c.position, _function.c.id)
    )
    functions = [_domain_function(row) for row in session.scalars(statement)]
    towns = [
        domain.Town(
            id=town.id,
            name=town.name,
            prefecture=town.prefecture,
            population=town.population,
            households=town.households,
            budget_yen=town.budget_yen,
            area_km2=town.area_km2,
        )
        for town in list_towns(session=session)
    ]
    town_ids = {town.id for town in towns}
    marks_statement = (
        select(*_MARK_ROW)
        .join(_function, _function.c.id == _mark.c.function_id)
        .where(*function_filter)
    )
    marks = [_domain_mark(row) for row in session.execute(marks_statement) if row[0] in town_ids]
    return ScoringInput(functions=functions, towns=towns, marks=marks)


# --- workspace ---
# Reads for the marking workspace (area grid, function page). They stay lean on purpose: an
# area of 1,000 functions x 30 towns is read on every grid request and every status change.


def area_function_keys(*, session: Session, area_id: str) -> tuple[tuple[str, str], ...]:
    """(id, requirement) of an area's current functions in catalog order: all its scores use."""
    statement = (
        select(_function.c.id, _function.c.requirement)
        .where(_function.c.area_id == area_id, _function.c.archived_at.is_(None))
        .order_by(_function.c.position, _function.c.id)
    )
    return tuple((row[0], row[1]) for row in session.execute(statement))


def mark_versions(*, session: Session, town_id: str, function_ids: Sequence[str]) -> dict[str, int]:
    """The current version of a town's marks on the given functions (absent: no mark yet)."""
    if not function_ids:
        return {}
    statement = select(_mark.c.function_id, _mark.c.version).where(
        _mark.c.town_id == town_id, _mark.c.function_id.in_(function_ids)
    )
    return {row[0]: int(row[1]) for row in session.execute(statement)}


def area_divergent_counts(*, session: Session) -> dict[str, int]:
    """Per area: how many current functions the taking-part towns decided differently.

    The same rule as the risk engine's `divergent` (decided verdicts not all the same), counted
    in SQL so that the overview of a whole project does not score every area.
    """
    decided = (
        select(_mark.c.function_id)
        .join(_town, _town.c.id == _mark.c.town_id)
        .where(_town.c.archived_at.is_(None), _mark.c.status != domain.Status.UNDECIDED.value)
        .group_by(_mark.c.function_id)
        .having(func.count(func.distinct(_mark.c.status)) > 1)
        .subquery()
    )
    statement = (
        select(_function.c.area_id, func.count())
        .join(decided, decided.c.function_id == _function.c.id)
        .where(_function.c.archived_at.is_(None))
        .group_by(_function.c.area_id)
    )
    return {row[0]: int(row[1]) for row in session.execute(statement)}


# --- catalog editions ---
# A mark remembers the fingerprint of the function's content it was made on; when a new
# edition rewords or reclasses the function, the two differ and the mark is "to review".


def current_functions(*, session: Session) -> list[domain.Function]:
    """Every function of the current catalog as domain objects, in catalog order."""
    statement = (
        select(CatalogFunction)
        .join(_area, _area.c.id == _function.c.area_id)
        .where(_function.c.archived_at.is_(None))
        .order_by(_area.c.position, _function.c.position, _function.c.id)
    )
    return [_domain_function(row) for row in session.scalars(statement)]


def customizing_towns(*, session: Session) -> dict[str, set[str]]:
    """Function id -> the towns that mark it customization."""
    statement = select(_mark.c.function_id, _mark.c.town_id).where(
        _mark.c.status == domain.Status.CUSTOMIZATION.value
    )
    result: dict[str, set[str]] = defaultdict(set)
    for function_id, town_id in session.execute(statement):
        result[function_id].add(town_id)
    return dict(result)


def marks_to_review(
    *, session: Session, function_ids: Sequence[str] | None = None
) -> set[tuple[str, str]]:
    """(town id, function id) of the marks made on another content of their function."""
    statement = (
        select(_mark.c.town_id, _mark.c.function_id)
        .join(_function, _function.c.id == _mark.c.function_id)
        .where(_mark.c.fingerprint != _function.c.fingerprint, _function.c.archived_at.is_(None))
    )
    if function_ids is not None:
        if not function_ids:
            return set()
        statement = statement.where(_mark.c.function_id.in_(function_ids))
    return {(row[0], row[1]) for row in session.execute(statement)}


def marks_by_keys(*, session: Session, keys: Iterable[tuple[str, str]]) -> list[domain.Mark]:
    """The current marks of the given (town id, function id) pairs, as domain marks."""
    wanted = set(keys)
    if not wanted:
        return []
    function_ids = sorted({function_id for _, function_id in wanted})
    statement = select(*_MARK_ROW).where(_mark.c.function_id.in_(function_ids))
    return [_domain_mark(row) for row in session.execute(statement) if (row[0], row[1]) in wanted]


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
