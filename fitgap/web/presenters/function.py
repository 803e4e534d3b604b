"""What the page of one function shows: its text, every town's verdict and note, the history,
the score, the neighbours, and the user's editor (view models)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlmodel import Session

from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import round_risk
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.models import CatalogFunction, Town
from fitgap.web import authz
from fitgap.web.database import current_board
from fitgap.web.presenters.grid import editable_town, template_helpers, users_town
from fitgap.web.presenters.vendor import acceptance, function_answer


@dataclass(frozen=True, slots=True)
class Draft:
    """What the user typed in the note editor (kept on preview and on a conflict)."""

    status: str
    note: str
    cost_initial_yen: int | None
    cost_annual_yen: int | None
    priority: str = ""  # required | wanted | not_needed, "" when unset
    as_is: str = ""


def correcting_town(towns: Sequence[Town], town_id: str | None) -> Town | None:
    """The town a moderator corrects on the function page (`?town=`), if any."""
    if town_id is None or not authz.can_moderate():
        return None
    return next((town for town in towns if town.id == town_id), None)


def function_context(
    session: Session,
    function_row: CatalogFunction,
    board: Scoreboard | None = None,
    *,
    town_id: str | None = None,
) -> dict[str, Any]:
    """Everything the function page and its fragments need; `town_id` is the town a
    moderator corrects (default: the page's `?town=`)."""
    towns = catalog_queries.list_towns(session=session)
    my_town = users_town(towns)
    correcting = correcting_town(towns, town_id or request.args.get("town"))
    edit_town = correcting or editable_town(towns, function_row.area_id)
    marks = catalog_queries.marks_for_functions(session=session, function_ids=[function_row.id])
    area_row = catalog_queries.get_area(session=session, area_id=function_row.area_id)
    score = None
    neighbours: tuple[str | None, str | None] = (None, None)
    if function_row.archived_at is None:
        keys = mark_queries.area_function_keys(session=session, area_id=function_row.area_id)
        if board is None:
            board = current_board(session=session, area_id=function_row.area_id, towns=towns)
        score = board.function_score(function_row.id)
        ids = [key[0] for key in keys]
        k = ids.index(function_row.id)
        neighbours = (ids[k - 1] if k > 0 else None, ids[k + 1] if k + 1 < len(ids) else None)
    my_mark = marks.get((edit_town.id, function_row.id)) if edit_town is not None else None
    vendor_answer = function_answer(session, function_row.id)
    own = marks.get((my_town.id, function_row.id)) if my_town is not None else None
    return {
        "function": function_row,
        "area": area_row,
        "towns": towns,
        "my_town": my_town,
        "edit_town": edit_town,
        "correcting": correcting is not None,
        "can_correct": authz.can_moderate() and function_row.archived_at is None,
        "my_mark": my_mark,
        "marks": marks,
        "history": mark_queries.mark_history(session=session, function_id=function_row.id),
        "town_names": {town.id: town.name for town in towns},
        "score": score,
        "risk": round_risk(score.risk) if score is not None else None,
        "previous_id": neighbours[0],
        "next_id": neighbours[1],
        "editable": edit_town is not None and function_row.archived_at is None,
        "vendor_answer": vendor_answer,
        "answer_function_id": function_row.id,
        "accept": acceptance(
            vendor_answer, own, my_town.id if my_town else None, function_row.area_id
        )
        if function_row.archived_at is None
        else None,
        "draft": None,
        "preview": None,
        "conflict": None,
        **template_helpers(),
    }
