"""The score dashboard: group risk read in plain words, town × area heat map, the functions to
discuss, the asks, costs and progress over time; and the full lists as CSV."""

from __future__ import annotations

from flask import Blueprint, abort, request
from werkzeug.wrappers import Response

from fitgap.domain.risk.cost import CostSplit
from fitgap.services.progress import group_progress
from fitgap.store import catalog as catalog_queries
from fitgap.store import clocks as clock_queries
from fitgap.web import authz, htmx, scenarios
from fitgap.web.database import current_board, get_session
from fitgap.web.presenters import dashboard as presenter

bp = Blueprint("dashboard", __name__)

POLL_SECONDS = 30
CSV_LISTS = ("functions", "asks", "savings")


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _split() -> CostSplit:
    try:
        return CostSplit(request.args.get("split", CostSplit.EQUAL.value))
    except ValueError:
        return CostSplit.EQUAL


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
    split = _split()
    live = request.args.get("live", "1") != "0"
    # The poll names the clocks it was drawn at: while none has moved, nothing is redrawn.
    stamp = clock_queries.clocks(session=session, area_id=area_id).stamp
    if htmx.is_htmx() and request.args.get("v") == stamp:
        response = Response(status=204)
        response.headers["Cache-Control"] = "no-store"
        return response
    board = current_board(session=session, area_id=area_id)
    town = request.args.get("town") or None
    if town is not None and town not in board.town_ids:
        town = None
    progress = group_progress(
        session=session, board=board, area_id=area_id, today=presenter.today_in_japan()
    )
    here = {"area": area_id or "", "split": split.value}
    return htmx.render(
        "dashboard/page.html",
        "scores",
        areas=areas,
        area_names={a.id: a.name for a in areas},
        area_id=area_id,
        live=live,
        here=here,
        here_all={**here, "town": town or "", "page": str(_page())},
        stamp=stamp,
        poll_seconds=POLL_SECONDS,
        csv_lists=CSV_LISTS,
        export_scenarios=scenarios.choices(),
        **presenter.dashboard_context(
            session=session,
            board=board,
            area_id=area_id,
            split=split,
            page=_page(),
            progress=progress,
            progress_town=town,
        ),
    )


@bp.get("/dashboard/<list_name>.csv")
@authz.project
def download(list_name: str) -> Response:
    """A full list of the dashboard (functions, asks or savings) as CSV for Excel."""
    if list_name not in CSV_LISTS:
        abort(404)
    session = get_session()
    areas = catalog_queries.list_areas(session=session)
    area_id = request.args.get("area") or None
    if area_id is not None and area_id not in {a.id for a in areas}:
        abort(404)
    board = current_board(session=session, area_id=area_id)
    if list_name == "functions":
        data = presenter.functions_csv(
            session=session,
            board=board,
            area_id=area_id,
            area_names={a.id: a.name for a in areas},
        )
    elif list_name == "asks":
        data = presenter.asks_csv(session=session, board=board, area_id=area_id)
    else:
        data = presenter.savings_csv(session=session, board=board, area_id=area_id, split=_split())
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    scope = area_id or "all"
    response.headers["Content-Disposition"] = f'attachment; filename="{list_name}-{scope}.csv"'
    return response


@bp.get("/dashboard/definition")
@authz.project
def definition() -> Response:
    """The full definition of the Galapagos risk, in plain words, for the dashboard's readers."""
    return htmx.render("dashboard/definition.html")
