"""What the meeting screens show about one agenda item (view models)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from fitgap.domain.risk.scoreboard import Divergence, Evidence, Scoreboard
from fitgap.store import catalog as catalog_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store.models import (
    ActionItem,
    AgendaItem,
    CatalogFunction,
    Decision,
    DecisionTown,
    Mark,
    Meeting,
)


@dataclass(frozen=True, slots=True)
class ItemView:
    """Everything the room sees about one agenda item."""

    item: AgendaItem
    number: int
    function: CatalogFunction
    marks: dict[str, Mark]
    divergence: Divergence | None
    evidence: tuple[Evidence, ...]
    drop: float  # the group's risk drop (in the area) if every customizing town moved
    drop_towns: tuple[str, ...]
    drop_town_names: tuple[str, ...]
    decision: Decision | None
    decision_towns: list[DecisionTown]
    actions: list[ActionItem]
    elapsed: int


def item_view(
    *, session: Session, meeting: Meeting, item: AgendaItem, board: Scoreboard, number: int
) -> ItemView:
    """The requirement, each town's mark, the others' evidence, the risk at stake, the timer."""
    function = session.get(CatalogFunction, item.function_id)
    if function is None:
        raise LookupError(item.function_id)
    marks = {
        town_id: mark
        for (town_id, _f), mark in catalog_queries.marks_for_functions(
            session=session, function_ids=[function.id]
        ).items()
    }
    in_board = function.id in {f.id for f in board.functions}
    divergence = board.divergence(function.id) if in_board else None
    ask = next(
        (a for a in board.function_asks(meeting.area_id) if a.function_id == function.id), None
    )
    decision = meeting_queries.current_decision(session=session, function_id=function.id)
    ids = [decision.id] if decision and decision.id is not None else []
    return ItemView(
        item=item,
        number=number,
        function=function,
        marks=marks,
        divergence=divergence,
        evidence=board.evidence(function.id) if in_board else (),
        drop=ask.group_drop if ask else 0.0,
        drop_towns=ask.towns if ask else (),
        drop_town_names=tuple(board.town_name(t) for t in ask.towns) if ask else (),
        decision=decision,
        decision_towns=meeting_queries.decision_towns(session=session, decision_ids=ids).get(
            ids[0], []
        )
        if ids
        else [],
        actions=meeting_queries.action_items(session=session, decision_ids=ids).get(ids[0], [])
        if ids
        else [],
        elapsed=meeting_queries.elapsed_seconds(meeting, item),
    )
