"""The score dashboard: group risk, town × area heat map, divergent functions, asks, costs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from werkzeug.wrappers import Response

from fitgap.domain.risk.cost import CostSplit, cost_lens
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.steering import explain_ask, explain_contribution
from fitgap.store import catalog as catalog_queries
from fitgap.store import clocks as clock_queries
from fitgap.web import authz, htmx
from fitgap.web.database import current_board, get_session

bp = Blueprint("dashboard", __name__)

TOP_FUNCTIONS = 20
TOP_ASKS = 10
TOP_SAVINGS = 30
POLL_SECONDS = 30


def _heat_level(risk: float) -> int:
    """A colour step 0–5 for the heat map (the number is always printed too)."""
    if risk <= 0:
        return 0
    return min(5, 1 + int(risk // 5))


def _dashboard_context(board: Scoreboard, area_id: str | None, split: CostSplit) -> dict[str, Any]:
    group = board.group_score(area_id, breakdown=False)
    towns = board.town_scores(area_id, breakdown=False)
    area_ids = board.area_ids if area_id is None else (area_id,)
    heat = {
        (town.id, a): board.town_score(town.id, a, breakdown=False).risk
        for town in towns
        for a in area_ids
    }
    top, to_discuss = board.to_discuss(area_id, limit=TOP_FUNCTIONS)
    asks = board.best_asks(area_id, limit=TOP_ASKS)
    lens = cost_lens(board, split, area_id)
    # The biggest savings first; the whole project has tens of thousands of customizations.
    savings = sorted(
        lens.customizations,
        key=lambda c: (
            -(c.group_saving_yen if c.group_saving_yen is not None else -1.0),
            -(c.town_saving_yen if c.town_saving_yen is not None else -1.0),
            c.function_id,
            c.town_id,
        ),
    )
    return {
        "group": group,
        "towns": towns,
        "area_ids": area_ids,
        "heat": heat,
        "heat_level": _heat_level,
        "functions": top,
        "more_functions": to_discuss - len(top),
        "explanations": {
            s.id: [explain_contribution(c) for c in board.breakdown(function_id=s.id)] for s in top
        },
        "asks": [(ask, explain_ask(ask, board)) for ask in asks],
        "lens": lens,
        "savings": savings[:TOP_SAVINGS],
        "split": split,
        "town_name": board.town_name,
    }


@bp.get("/dashboard")
@authz.project
@authz.background_poll
def dashboard() -> Response:
    """Scores of the group, each town and area, the functions to discuss and the best asks."""
    session = get_session()
    areas = catalog_queries.list_areas(session=session)
    area_id = request.args.get("area") or None
    if area_id is not None and area_id not in {a.id for a in areas}:
        abort(404)
    try:
        split = CostSplit(request.args.get("split", CostSplit.EQUAL.value))
    except ValueError:
        split = CostSplit.EQUAL
    live = request.args.get("live", "1") != "0"
    # The poll names the clocks it was drawn at: while none has moved, nothing is redrawn.
    stamp = clock_queries.clocks(session=session, area_id=area_id).stamp
    if htmx.is_htmx() and request.args.get("v") == stamp:
        response = Response(status=204)
        response.headers["Cache-Control"] = "no-store"
        return response
    board = current_board(session=session, area_id=area_id)
    return htmx.render(
        "dashboard/page.html",
        "scores",
        areas=areas,
        area_names={a.id: a.name for a in areas},
        area_id=area_id,
        live=live,
        here={"area": area_id or "", "split": split.value},
        stamp=stamp,
        poll_seconds=POLL_SECONDS,
        **_dashboard_context(board, area_id, split),
    )
