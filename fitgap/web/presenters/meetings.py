"""What the meeting screens show about one agenda item (view models)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from fitgap.domain.i18n import _
from fitgap.domain.meetings import minutes as log
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import Divergence
from fitgap.domain.values import Status
from fitgap.store import actions as action_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store import clocks as clock_queries
from fitgap.store import marks as mark_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store import vendor as vendor_queries
from fitgap.store.models import (
    ActionItem,
    AgendaItem,
    CatalogFunction,
    Decision,
    Mark,
    Meeting,
)
from fitgap.web.database import current_board, get_session
from fitgap.web.presenters.vendor import AnswerView, function_answer


@dataclass(frozen=True, slots=True)
class ItemView:
    """Everything the room sees about one agenda item."""

    item: AgendaItem
    number: int
    function: CatalogFunction
    marks: dict[str, Mark]
    divergence: Divergence | None
    drop: float  # the group's risk drop (in the area) if every customizing town moved
    drop_towns: tuple[str, ...]
    drop_town_names: tuple[str, ...]
    decision: Decision | None
    actions: list[ActionItem]
    elapsed: int
    answer: AnswerView | None = None  # the vendor's current answer (templates/vendor/_answer.html)
    decision_name: str = ""  # 決定 #2, or 令和7年4月1日の会議の決定 #2 (an earlier meeting's)


def item_view(
    *, session: Session, meeting: Meeting, item: AgendaItem, board: Scoreboard, number: int
) -> ItemView:
    """The requirement, each town's mark and note, the risk at stake, the decision, the timer."""
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
    names = decision_names(session, meeting, [decision] if decision else [])
    return ItemView(
        item=item,
        number=number,
        function=function,
        marks=marks,
        divergence=divergence,
        drop=ask.group_drop if ask else 0.0,
        drop_towns=ask.towns if ask else (),
        drop_town_names=tuple(board.town_name(t) for t in ask.towns) if ask else (),
        decision=decision,
        actions=meeting_queries.action_items(session=session, decision_ids=ids).get(ids[0], [])
        if ids
        else [],
        elapsed=meeting_queries.elapsed_seconds(meeting, item),
        answer=function_answer(session, function.id),
        decision_name=names.get(ids[0], "") if ids else "",
    )


def decision_names(
    session: Session, meeting: Meeting, decisions: Sequence[Decision | None]
) -> dict[int, str]:
    """Decision id -> how the meeting's screens name it: 決定 #2 for one of this meeting (its
    number within it), 令和7年4月1日の会議の決定 #1 for an earlier meeting's."""
    ids = [d.id for d in decisions if d is not None and d.id is not None]
    refs = meeting_queries.decision_refs(session=session, decision_ids=ids)
    return {i: log.decision_name(ref, meeting.id) for i, ref in refs.items()}


def console_stamp(session: Session, meeting: Meeting) -> str:
    """One short text that changes with anything the console shows: the meeting's state (a
    second moderator), the area's marks (a town accepting the vendor's answer), the vendor's
    answers and the action items' reports. Four small reads."""
    assert meeting.id is not None  # noqa: S101 - a stored meeting
    version = meeting_queries.state_version(session=session, meeting_id=meeting.id)
    marks = clock_queries.clocks(session=session, area_id=meeting.area_id).stamp
    answers = vendor_queries.answer_stamp(session=session)
    reports = action_queries.status_stamp(session=session)
    return f"{version}.{marks}.{answers}.{reports}"


def agenda_context(meeting: Meeting) -> dict[str, Any]:
    """The agenda with each item's function, risk at stake and decision, for the console."""
    session = get_session()
    assert meeting.id is not None  # noqa: S101 - a stored meeting
    items = meeting_queries.agenda(session=session, meeting_id=meeting.id)
    board = current_board(session=session, area_id=meeting.area_id)
    asks = {a.function_id: a for a in board.function_asks(meeting.area_id)}
    known = {f.id for f in board.functions}
    functions = {
        i.function_id: catalog_queries.get_function(session=session, function_id=i.function_id)
        for i in items
    }
    decisions = {
        i.function_id: meeting_queries.current_decision(session=session, function_id=i.function_id)
        for i in items
    }
    return {
        "items": items,
        "board": board,
        "functions": functions,
        "drops": {f: a.group_drop for f, a in asks.items()},
        "kinds": {
            i.function_id: board.divergence(i.function_id).label
            for i in items
            if i.function_id in known
        },
        "decisions": decisions,
        "decision_names": decision_names(session, meeting, list(decisions.values())),
        # Towns whose mark was made on an earlier wording or class of the function (要確認).
        "review": towns_to_review(session, [i.function_id for i in items]),
        "elapsed": {i.id: meeting_queries.elapsed_seconds(meeting, i) for i in items},
        "total": len(items),
        "town_name": board.town_name,
    }


def towns_to_review(session: Any, function_ids: list[str]) -> dict[str, list[str]]:
    """Function id -> the towns whose mark on it needs a look after a catalog revision."""
    review: dict[str, list[str]] = {}
    for town_id, function_id in sorted(
        mark_queries.marks_to_review(session=session, function_ids=function_ids)
    ):
        review.setdefault(function_id, []).append(town_id)
    return review


def current_view(
    meeting: Meeting, items: list[AgendaItem], board: Any, item_id: int | None
) -> ItemView | None:
    for number, item in enumerate(items, start=1):
        if item.id == item_id:
            return item_view(
                session=get_session(), meeting=meeting, item=item, board=board, number=number
            )
    return None


def decision_values(view: ItemView | None) -> dict[str, str]:
    """The decision form's starting values: each town's current verdict."""
    if view is None:
        return {}
    values = {"outcome": ""}
    for town_id, mark in view.marks.items():
        if mark.status != Status.UNDECIDED.value:
            values[f"status-{town_id}"] = mark.status
    return values


def screen_context(
    meeting: Meeting, view_name: str, town_id: str | None, *, poll_seconds: int
) -> dict[str, Any]:
    session = get_session()
    assert meeting.id is not None  # noqa: S101 - a stored meeting
    items = meeting_queries.agenda(session=session, meeting_id=meeting.id)
    towns = catalog_queries.list_towns(session=session)
    board = current_board(session=session, area_id=meeting.area_id, towns=towns)
    view = current_view(meeting, items, board, meeting.current_item_id)
    return {
        "meeting": meeting,
        "area": catalog_queries.get_area(session=session, area_id=meeting.area_id),
        "towns": towns,
        "view": view,
        "total": len(items),
        "screen": view_name,
        "town_id": town_id,
        "poll_seconds": poll_seconds,
        "town_name": board.town_name,
    }


def agenda_message(session: Session, meeting_id: int, item_id: int, action: str | None) -> str:
    """What a screen reader hears after an agenda change (the item's new place for a move)."""
    if action == "drop":
        return _("議題から外しました。")
    items = meeting_queries.agenda(session=session, meeting_id=meeting_id)
    number = next((k for k, item in enumerate(items, start=1) if item.id == item_id), 0)
    name = next((item.function_id for item in items if item.id == item_id), "")
    if action == "later":
        return _("%(id)s を次回以降にしました。", id=name)
    if action == "now":
        return _("%(id)s を今回の議題に戻しました。", id=name)
    return _("%(id)s を %(n)s 番目に移しました。", id=name, n=number)


def decision_message(session: Session, item_id: int) -> str:
    """What a screen reader hears once a decision is recorded."""
    item = session.get(AgendaItem, item_id)
    decision = (
        meeting_queries.current_decision(session=session, function_id=item.function_id)
        if item
        else None
    )
    if decision is None or item is None:
        return _("決定を記録しました。")
    meeting = meeting_queries.get_meeting(session=session, meeting_id=item.meeting_id)
    name = decision_names(session, meeting, [decision]).get(decision.id or 0, "") if meeting else ""
    return _("%(decision)s を記録しました。", decision=name)
