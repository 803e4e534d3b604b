"""The catalog: business areas with each town's progress, an area's functions, one function."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response

from fitgap import htmx, queries
from fitgap.db import get_session

bp = Blueprint("catalog", __name__)


@bp.get("/")
def overview() -> Response:
    """Every business area with each town's progress."""
    session = get_session()
    return htmx.render(
        "catalog/overview.html",
        areas=queries.list_areas(session=session),
        towns=queries.list_towns(session=session),
        progress=queries.area_progress(session=session),
    )


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/areas/<area_id>")
def area(area_id: str) -> Response:
    """One area's functions with every town's status, a page at a time."""
    session = get_session()
    area_row = queries.get_area(session=session, area_id=area_id)
    if area_row is None:
        abort(404)
    page_size = int(current_app.config["PAGE_SIZE"])
    page = _page_number()
    total = queries.count_functions(session=session, area_id=area_id)
    functions = queries.area_functions(
        session=session, area_id=area_id, offset=(page - 1) * page_size, limit=page_size
    )
    marks = queries.marks_for_functions(session=session, function_ids=[f.id for f in functions])
    return htmx.render(
        "catalog/area.html",
        "rows",
        area=area_row,
        towns=queries.list_towns(session=session),
        functions=functions,
        marks=marks,
        page=page,
        total=total,
        has_more=page * page_size < total,
    )


@bp.get("/functions/<function_id>")
def function(function_id: str) -> Response:
    """One function: its requirement text, every town's status and note, and the history."""
    session = get_session()
    function_row = queries.get_function(session=session, function_id=function_id)
    if function_row is None:
        abort(404)
    return htmx.render(
        "catalog/function.html",
        function=function_row,
        area=queries.get_area(session=session, area_id=function_row.area_id),
        towns=queries.list_towns(session=session),
        marks=queries.marks_for_functions(session=session, function_ids=[function_id]),
        history=queries.mark_history(session=session, function_id=function_id),
    )
