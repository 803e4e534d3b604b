"""Reads and writes of the marks: importing marks files, saving one mark with its optimistic
lock and history row, the rows the risk engine scores, and the marks an edition change puts
back on the table. Functions take a keyword-only `session`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from fitgap.domain import values as domain
from fitgap.domain.files.catalog import MarksFile
from fitgap.store.catalog import list_towns
from fitgap.store.clocks import bump_area_clocks
from fitgap.store.db import Progress, batches, bulk_insert_tuples
from fitgap.store.models import Area, CatalogFunction, Mark, MarkChange, Town, utcnow

_area = Area.__table__  # type: ignore[attr-defined]
_function = CatalogFunction.__table__  # type: ignore[attr-defined]
_town = Town.__table__  # type: ignore[attr-defined]
_mark = Mark.__table__  # type: ignore[attr-defined]
_change = MarkChange.__table__  # type: ignore[attr-defined]


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
    priority: str | None
    as_is: str | None
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
                self.priority,
                self.as_is,
            )
        )


class MarkConflict(Exception):
    """Someone saved the mark since the user loaded it; carries the newer mark."""

    def __init__(self, current: MarkState | None) -> None:
        self.current = current
        super().__init__("the mark was changed by someone else")


# The values a mark file sets, as they stand in both the mark and its history rows.
_MARK_VALUES = ("status", "note", "cost_initial_yen", "cost_annual_yen", "priority", "as_is")
# The columns of a new mark, as the import writes them.
_INSERTED = (
    "town_id",
    "function_id",
    *_MARK_VALUES,
    "fingerprint",
    "version",
    "updated_by",
    "updated_at",
)


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
        _mark.c.priority,
        _mark.c.as_is,
    )
    for town_id in towns:
        statement = select(_mark.c.town_id, _mark.c.function_id, *columns).where(
            _mark.c.town_id == town_id
        )
        for row in session.execute(statement):
            existing[(row[0], row[1])] = tuple(row[2:])
    inserts: list[tuple[Any, ...]] = []  # in the order of _INSERTED
    updates: list[dict[str, Any]] = []
    # The marks this import writes, in the files' order (runs of one town's function ids):
    # the history rows, in that order, are copied from them once they are written.
    history: list[tuple[str, list[str]]] = []
    areas = _function_areas(session)
    per_area: dict[str, int] = defaultdict(int)
    for marks_file in files:
        for mark in marks_file.marks:
            cost, priority = mark.cost, mark.priority
            values = (  # in the order of _MARK_VALUES
                mark.status.value,
                mark.note,
                None if cost is None else cost.initial_yen,
                None if cost is None else cost.annual_yen,
                None if priority is None else priority.value,
                mark.as_is,
            )
            old = existing.get((mark.town_id, mark.function_id))
            if old is None:
                inserts.append(
                    (
                        mark.town_id,
                        mark.function_id,
                        *values,
                        fingerprints[mark.function_id],
                        1,
                        changed_by,
                        now,
                    )
                )
                report.added += 1
            elif old[2:] == values:
                report.unchanged += 1
                continue
            else:
                updates.append(
                    {
                        "b_id": old[0],
                        "b_version": old[1],
                        "version": old[1] + 1,
                        "updated_by": changed_by,
                        "updated_at": now,
                        "fingerprint": fingerprints[mark.function_id],
                        **dict(zip(_MARK_VALUES, values, strict=True)),
                    }
                )
                report.changed += 1
            if not history or history[-1][0] != mark.town_id:
                history.append((mark.town_id, []))
            history[-1][1].append(mark.function_id)
            per_area[areas[mark.function_id]] += 1
    bulk_insert_tuples(session, _mark, _INSERTED, inserts, progress)
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
                raise MarkConflict(None)
            if progress:
                progress(len(batch))
    if per_area:
        bump_area_clocks(session=session, changes=per_area)
        for town_id, function_ids in history:
            _copy_history(session, town_id, function_ids, source=source, reason=reason)
    if progress:
        progress(report.unchanged)
    return report


# A history row is the mark as written: its `updated_by` and `updated_at` are the change's.
_HISTORY_FROM_MARK = {
    **{name: name for name in _MARK_VALUES},
    "town_id": "town_id",
    "function_id": "function_id",
    "version": "version",
    "fingerprint": "fingerprint",
    "changed_by": "updated_by",
    "changed_at": "updated_at",
}


def _copy_history(
    session: Session, town_id: str, function_ids: list[str], *, source: str, reason: str | None
) -> None:
    """The history rows of one town's marks just written, in the order of `function_ids`
    (the file's), by one `INSERT … SELECT` from the marks instead of sending every value a
    second time. The rows are those a copy of the written values would make: the mark holds
    them all, and its `updated_by`/`updated_at` are this change's `changed_by`/`changed_at`;
    no other transaction can change them before the commit (SQLite has one writer; on
    PostgreSQL the rows are locked by this transaction's writes, or not yet seen by others)."""
    if not function_ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        written = "unnest(CAST(:functions AS text[])) WITH ORDINALITY AS k(function_id, n)"
        key, order = "k.function_id", "k.n"
        functions: Any = function_ids
    else:  # SQLite: the ids as one JSON array, read back in order by json_each
        written = "json_each(:functions) AS k"
        key, order = "k.value", "k.key"
        functions = json.dumps(function_ids)
    targets = ", ".join(_HISTORY_FROM_MARK)
    sources = ", ".join(f"m.{name}" for name in _HISTORY_FROM_MARK.values())
    statement = text(
        f"INSERT INTO {_change.name} ({targets}, source, reason) "  # noqa: S608 - model names
        f"SELECT {sources}, :source, :reason FROM {written} "
        f"JOIN {_mark.name} AS m ON m.town_id = :town AND m.function_id = {key} "
        f"ORDER BY {order}"
    )
    result = session.execute(
        statement, {"functions": functions, "town": town_id, "source": source, "reason": reason}
    )
    if result.rowcount != len(function_ids):  # type: ignore[attr-defined]
        raise MarkConflict(None)  # pragma: no cover - every one of these marks was just written


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
    priority: domain.Priority | None = None,
    as_is: str | None = None,
) -> MarkState:
    """Save one mark if nobody changed it since `expected_version` (0: no mark yet);
    otherwise raise MarkConflict with the newer mark. Also appends to the history.

    `priority` and `as_is` are written as given: a caller that changes only the status passes
    the stored ones on (fitgap.domain.marking)."""
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
        "priority": priority.value if priority is not None else None,
        "as_is": as_is,
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


def _priority(value: str | None) -> domain.Priority | None:
    # Anything unknown reads as unset, like an unknown status reads as undecided.
    return domain.PRIORITY_SYNONYMS.get(value) if value else None


def _domain_mark(row: Any) -> domain.Mark:
    town_id, function_id, status, note, initial, annual, priority, as_is = row
    cost = None
    if initial is not None or annual is not None:
        cost = domain.Cost(initial_yen=initial or 0, annual_yen=annual or 0)
    return domain.Mark(
        town_id=town_id,
        function_id=function_id,
        status=domain.Status(status),
        note=note,
        cost=cost,
        priority=_priority(priority),
        as_is=as_is,
    )


def as_domain_mark(row: Mark) -> domain.Mark:
    """A stored mark row as a domain value."""
    return _domain_mark(
        (
            row.town_id,
            row.function_id,
            row.status,
            row.note,
            row.cost_initial_yen,
            row.cost_annual_yen,
            row.priority,
            row.as_is,
        )
    )


_MARK_ROW = (
    _mark.c.town_id,
    _mark.c.function_id,
    _mark.c.status,
    _mark.c.note,
    _mark.c.cost_initial_yen,
    _mark.c.cost_annual_yen,
    _mark.c.priority,
    _mark.c.as_is,
)


# What other query modules use to read marks and functions as domain values.
MARK_COLUMNS = _MARK_ROW  # the columns `mark_from_row` reads, in its order


def mark_from_row(row: Any) -> domain.Mark:
    """A row of MARK_COLUMNS as a domain mark."""
    return _domain_mark(row)


def function_from_row(row: CatalogFunction) -> domain.Function:
    """A stored function as a domain value."""
    return _domain_function(row)


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
    towns = scoring_towns(session)
    town_ids = {town.id for town in towns}
    marks_statement = (
        select(*_MARK_ROW)
        .join(_function, _function.c.id == _mark.c.function_id)
        .where(*function_filter)
    )
    marks = [_domain_mark(row) for row in session.execute(marks_statement) if row[0] in town_ids]
    return ScoringInput(functions=functions, towns=towns, marks=marks)


def scoring_towns(session: Session) -> list[domain.Town]:
    """The towns taking part, as the risk engine takes them."""
    return [
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
        .where(
            _town.c.archived_at.is_(None),
            _town.c.membership == domain.Membership.MEMBER.value,  # only members form the group
            _mark.c.status != domain.Status.UNDECIDED.value,
        )
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


# --- progress over time ---


def _history_filter(area_id: str | None) -> list[Any]:
    if area_id is None:
        return []
    return [_change.c.function_id.in_(select(_function.c.id).where(_function.c.area_id == area_id))]


def first_change_at(*, session: Session, area_id: str | None = None) -> datetime | None:
    """When the first mark of the project (or of one area) was recorded."""
    statement = select(func.min(_change.c.changed_at)).where(*_history_filter(area_id))
    return session.execute(statement).scalar()


def status_history(
    *, session: Session, area_id: str | None = None, before: datetime | None = None
) -> Iterable[tuple[datetime, str, str, str]]:
    """Every recorded change (made before `before`, if given) as (when, town, function,
    status), in the order it was made; streamed, since the whole project's history runs to
    hundreds of thousands of rows."""
    conditions = _history_filter(area_id)
    if before is not None:
        conditions.append(_change.c.changed_at < before)
    statement = (
        select(_change.c.changed_at, _change.c.town_id, _change.c.function_id, _change.c.status)
        .where(*conditions)
        .order_by(_change.c.id)
        .execution_options(yield_per=5000)
    )
    for row in session.execute(statement):
        yield row[0], row[1], row[2], row[3]
