"""The vendor's answers (insert-only, a newer one supersedes) and the open customization
requests they answer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from fitgap.domain.values import AnswerKind, Cost, Status
from fitgap.domain.vendor import CustomizationRequest, RequestingTown, VendorAnswer
from fitgap.store.models import Area, CatalogFunction, Mark, Town
from fitgap.store.models import VendorAnswer as AnswerRow

_answer: Any = AnswerRow.__table__  # type: ignore[attr-defined]
_area: Any = Area.__table__  # type: ignore[attr-defined]
_function: Any = CatalogFunction.__table__  # type: ignore[attr-defined]
_mark: Any = Mark.__table__  # type: ignore[attr-defined]
_town: Any = Town.__table__  # type: ignore[attr-defined]


class AnswerConflict(Exception):
    """Someone answered the same function at the same moment (the newer answer wins a retry)."""


def as_domain(row: AnswerRow) -> VendorAnswer:
    """A stored answer as the domain's value."""
    cost = None
    if row.cost_initial_yen is not None or row.cost_annual_yen is not None:
        cost = Cost.of(row.cost_initial_yen, row.cost_annual_yen)
    assert row.id is not None  # noqa: S101 - a stored answer
    return VendorAnswer(
        function_id=row.function_id,
        kind=AnswerKind(row.kind),
        detail=row.detail,
        answered_on=row.answered_on,
        text=row.text,
        cost=cost,
        answered_by=row.answered_by,
        id=row.id,
    )


def _not_superseded() -> Any:
    superseded = select(_answer.c.supersedes_id).where(_answer.c.supersedes_id.is_not(None))
    return _answer.c.id.not_in(superseded)


def _latest_row(session: Session, function_id: str) -> AnswerRow | None:
    statement = (
        select(AnswerRow)
        .where(_answer.c.function_id == function_id, _not_superseded())
        .order_by(_answer.c.id.desc())
    )
    return session.scalars(statement).first()


def add_answer(
    *, session: Session, answer: VendorAnswer, source: str, expected_id: int | None = None
) -> VendorAnswer:
    """Store a new answer on its function, superseding the latest one. `expected_id`: the
    answer the vendor saw (0: none); AnswerConflict when another came in since."""
    latest = _latest_row(session, answer.function_id)
    latest_id = latest.id if latest is not None else 0
    if expected_id is not None and expected_id != latest_id:
        raise AnswerConflict(answer.function_id)
    row = AnswerRow(
        function_id=answer.function_id,
        kind=answer.kind.value,
        detail=answer.detail,
        text=answer.text,
        cost_initial_yen=answer.cost.initial_yen if answer.cost else None,
        cost_annual_yen=answer.cost.annual_yen if answer.cost else None,
        answered_on=answer.answered_on,
        answered_by=answer.answered_by,
        supersedes_id=latest.id if latest is not None else None,
        source=source,
    )
    session.add(row)
    session.flush()
    return as_domain(row)


def get_answer(*, session: Session, answer_id: int) -> VendorAnswer | None:
    """One answer, superseded or not."""
    row = session.get(AnswerRow, answer_id)
    return as_domain(row) if row is not None else None


def is_latest(*, session: Session, answer: VendorAnswer) -> bool:
    """Whether no newer answer supersedes this one."""
    latest = _latest_row(session, answer.function_id)
    return latest is not None and latest.id == answer.id


def latest_answer(*, session: Session, function_id: str) -> VendorAnswer | None:
    """The vendor's current answer on a function, if any."""
    row = _latest_row(session, function_id)
    return as_domain(row) if row is not None else None


def latest_answers(
    *, session: Session, function_ids: Collection[str] | None = None
) -> dict[str, VendorAnswer]:
    """Function id -> the vendor's current answer (the matrix, the minutes, the cost lens)."""
    statement = select(AnswerRow).where(_not_superseded()).order_by(_answer.c.id)
    if function_ids is not None:
        if not function_ids:
            return {}
        statement = statement.where(_answer.c.function_id.in_(list(function_ids)))
    return {row.function_id: as_domain(row) for row in session.scalars(statement)}


def answer_history(*, session: Session, function_id: str) -> list[VendorAnswer]:
    """Every answer on a function, oldest first."""
    statement = select(AnswerRow).where(_answer.c.function_id == function_id).order_by(_answer.c.id)
    return [as_domain(row) for row in session.scalars(statement)]


def open_requests(
    *, session: Session, area_id: str | None = None, function_ids: Collection[str] | None = None
) -> list[CustomizationRequest]:
    """Every current function that some current town marks カスタマイズ, in catalog order, with
    the towns asking (their reasons and cost guesses) and the vendor's current answer."""
    statement = (
        select(
            _function.c.id,
            _function.c.area_id,
            _function.c.name,
            _function.c.path,
            _town.c.id,
            _town.c.name,
            _mark.c.note,
            _mark.c.cost_initial_yen,
            _mark.c.cost_annual_yen,
        )
        .join(_mark, _mark.c.function_id == _function.c.id)
        .join(_town, _town.c.id == _mark.c.town_id)
        .join(_area, _area.c.id == _function.c.area_id)
        .where(
            _mark.c.status == Status.CUSTOMIZATION.value,
            _function.c.archived_at.is_(None),
            _town.c.archived_at.is_(None),
        )
        .order_by(
            _area.c.position,
            _area.c.id,
            _function.c.position,
            _function.c.id,
            _town.c.position,
            _town.c.id,
        )
    )
    if area_id is not None:
        statement = statement.where(_function.c.area_id == area_id)
    if function_ids is not None:
        statement = statement.where(_function.c.id.in_(list(function_ids)))
    heads: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    towns: dict[str, list[RequestingTown]] = defaultdict(list)
    for fid, aid, name, path, tid, tname, note, initial, annual in session.execute(statement):
        heads.setdefault(fid, (aid, name, tuple(path or ())))
        cost = None if initial is None and annual is None else Cost.of(initial, annual)
        towns[fid].append(RequestingTown(tid, tname, note, cost))
    answers = latest_answers(session=session, function_ids=list(heads))
    return [
        CustomizationRequest(
            function_id=fid,
            area_id=aid,
            function_name=name,
            path=path,
            towns=tuple(towns[fid]),
            answer=answers.get(fid),
        )
        for fid, (aid, name, path) in heads.items()
    ]


def answer_stamp(*, session: Session) -> int:
    """A number that grows with every answer recorded (what the console's poll compares)."""
    return int(session.execute(select(func.coalesce(func.max(_answer.c.id), 0))).scalar_one())
