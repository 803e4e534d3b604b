"""Reads for the fit-gap matrix, one area at a time so that a whole project streams through
with flat memory: the area's functions, its marks (read in batches from a cursor) and the
decision in force on each function. Functions take a keyword-only `session`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from fitgap.domain import values as domain
from fitgap.domain.files.matrix import LatestDecision
from fitgap.domain.i18n import _
from fitgap.store.catalog import list_areas, list_towns
from fitgap.store.marks import MARK_COLUMNS, function_from_row, mark_from_row
from fitgap.store.models import Area, CatalogFunction, Decision, Mark, Meeting, Town

_area = Area.__table__  # type: ignore[attr-defined]
_function = CatalogFunction.__table__  # type: ignore[attr-defined]
_mark = Mark.__table__  # type: ignore[attr-defined]
_town = Town.__table__  # type: ignore[attr-defined]
_decision = Decision.__table__  # type: ignore[attr-defined]
_meeting = Meeting.__table__  # type: ignore[attr-defined]

# Rows fetched from the cursor at a time.
CURSOR_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class MatrixArea:
    """An area to write: its id, name and how many current functions it has."""

    id: str
    name: str
    functions: int


def matrix_towns(*, session: Session) -> list[domain.Town]:
    """The towns taking part, in file order, as domain values."""
    return [domain.Town(id=t.id, name=t.name) for t in list_towns(session=session)]


def matrix_areas(*, session: Session, area_id: str | None = None) -> list[MatrixArea]:
    """The current areas (or the one asked for) with their function counts, in catalog order.
    An unknown or archived `area_id` gives an empty list."""
    counts = dict(
        session.execute(
            select(_function.c.area_id, func.count())
            .where(_function.c.archived_at.is_(None))
            .group_by(_function.c.area_id)
        ).all()
    )
    return [
        MatrixArea(area.id, area.name, int(counts.get(area.id, 0)))
        for area in list_areas(session=session)
        if area_id is None or area.id == area_id
    ]


def area_functions(*, session: Session, area_id: str) -> list[domain.Function]:
    """An area's current functions in catalog order."""
    statement = (
        select(CatalogFunction)
        .where(_function.c.area_id == area_id, _function.c.archived_at.is_(None))
        .order_by(_function.c.position, _function.c.id)
    )
    return [function_from_row(row) for row in session.scalars(statement)]


def area_marks(*, session: Session, area_id: str) -> Iterator[domain.Mark]:
    """The marks of the taking-part towns on an area's current functions, from a cursor."""
    statement = (
        select(*MARK_COLUMNS)
        .join(_function, _function.c.id == _mark.c.function_id)
        .join(_town, _town.c.id == _mark.c.town_id)
        .where(
            _function.c.area_id == area_id,
            _function.c.archived_at.is_(None),
            _town.c.archived_at.is_(None),
        )
        .execution_options(yield_per=CURSOR_BATCH)
    )
    for row in session.execute(statement):
        yield mark_from_row(row)


def area_decisions(*, session: Session, area_id: str) -> dict[str, LatestDecision]:
    """Per function of the area: the decision no later one replaced, with its meeting."""
    superseded = select(_decision.c.supersedes_id).where(_decision.c.supersedes_id.is_not(None))
    statement = (
        select(
            _decision.c.function_id,
            _decision.c.outcome,
            _meeting.c.id,
            _meeting.c.title,
            _meeting.c.held_on,
        )
        .join(_meeting, _meeting.c.id == _decision.c.meeting_id)
        .join(_function, _function.c.id == _decision.c.function_id)
        .where(_function.c.area_id == area_id, _decision.c.id.not_in(superseded))
        .order_by(_decision.c.id)
    )
    found: dict[str, LatestDecision] = {}
    for function_id, outcome, meeting_id, title, held_on in session.execute(statement):
        # Ordered by id: a later decision on the same function (none should remain) wins.
        found[function_id] = LatestDecision(
            meeting=title or _("会議 %(id)s", id=meeting_id),
            held_on=held_on,
            outcome=domain.Outcome(outcome),
        )
    return found
