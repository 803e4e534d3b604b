"""The marking workspace: area overview, the grid of one area, one function, saving marks.

Every page works as plain links and forms; htmx only swaps parts of it (style.md). The views
only read the request, call a query or a service (`fitgap.services.marks`) and hand a
presenter's result (`fitgap.web.presenters`) to a template. Who may change which town's marks
is decided in `fitgap.web.authz` alone.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from sqlmodel import Session
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from fitgap.domain.i18n import _
from fitgap.domain.marking import lacks_reason
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.values import Status
from fitgap.services.marks import record_mark
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.marks import MarkConflict
from fitgap.store.models import CatalogFunction, Town
from fitgap.web import authz, errors, htmx
from fitgap.web.database import current_board, get_db, get_session
from fitgap.web.forms.marks import MarkForm, clean_note, clean_reason, draft_from_form
from fitgap.web.markdown import render_markdown
from fitgap.web.presenters.function import Draft, function_context
from fitgap.web.presenters.grid import (
    Conflict,
    area_totals,
    editable_town,
    grid_page,
    grid_row,
    status_labels,
    template_helpers,
    users_town,
)
from fitgap.web.redirects import safe_next

bp = Blueprint("catalog", __name__)


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _end_read(session: Session) -> None:
    # Close the request's read transaction before a write: on SQLite a read transaction keeps
    # its snapshot, and the reads after the write must see the write.
    session.commit()


@bp.get("/")
@authz.signed_in
def overview() -> Response:
    """Every business area with each town's progress, customizations and divergent items."""
    session = get_session()
    towns = catalog_queries.list_towns(session=session)
    return htmx.render(
        "catalog/overview.html",
        areas=catalog_queries.list_areas(session=session),
        towns=towns,
        my_town=users_town(towns),
        progress=catalog_queries.area_progress(session=session),
        divergent=mark_queries.area_divergent_counts(session=session),
    )


@bp.get("/areas/<area_id>")
@authz.signed_in
def area(area_id: str) -> Response:
    """One area's functions under their headings with every town's verdict, filtered, paged."""
    session = get_session()
    area_row = catalog_queries.get_area(session=session, area_id=area_id)
    if area_row is None:
        abort(404)
    page = grid_page(session, area_row, request.args, _page_number())
    # The filter form swaps the whole grid (and announces the count); "more" appends rows.
    whole_grid = htmx.target() == "grid"
    return htmx.render(
        "catalog/area.html",
        "grid" if whole_grid else "rows",
        announce=whole_grid and htmx.is_htmx(),
        **page.context(),
    )


@bp.get("/functions/<function_id>/row")
@authz.signed_in
def row(function_id: str) -> Response:
    """One grid row as it is now (after a conflict the user chose to keep the current mark)."""
    session = get_session()
    function_row = catalog_queries.get_function(session=session, function_id=function_id)
    if function_row is None or function_row.archived_at is not None:
        abort(404)
    if not htmx.is_htmx():
        return redirect(url_for("catalog.area", area_id=function_row.area_id), code=303)
    towns = catalog_queries.list_towns(session=session)
    return _row_response(session, function_row, towns, next_url=request.args.get("next"))


def _row_response(
    session: Session,
    function_row: CatalogFunction,
    towns: list[Town],
    *,
    next_url: str | None,
    board: Scoreboard | None = None,
    conflict: Conflict | None = None,
    message: str | None = None,
    status: int = 200,
    needs_reason: bool = False,
) -> Response:
    my_town = users_town(towns)
    edit_town = editable_town(towns, function_row.area_id)
    if board is None:
        board = current_board(session=session, area_id=function_row.area_id, towns=towns)
    version = 0
    if edit_town is not None:
        versions = mark_queries.mark_versions(
            session=session, town_id=edit_town.id, function_ids=[function_row.id]
        )
        version = versions.get(function_row.id, 0)
    if conflict is not None and conflict.current is not None:
        version = conflict.current.version
    grid = grid_row(
        function_row,
        board,
        towns,
        edit_town.id if edit_town is not None else None,
        version,
        conflict=conflict,
        review=mark_queries.marks_to_review(session=session, function_ids=[function_row.id]),
    )
    fallback = url_for("catalog.area", area_id=function_row.area_id)
    response = htmx.render(
        "catalog/_row_saved.html",
        row=grid,
        towns=towns,
        my_town=my_town,
        edit_town=edit_town,
        page_url=safe_next(next_url, fallback),
        needs_reason=needs_reason,
        totals=area_totals(board, function_row.area_id, towns)
        if conflict is None and not needs_reason
        else None,
        message=message,
        **template_helpers(),
    )
    response.status_code = status
    return response


def _get_function(session: Session, function_id: str) -> CatalogFunction:
    function_row = catalog_queries.get_function(session=session, function_id=function_id)
    if function_row is None:
        abort(404)
    return function_row


@bp.get("/functions/<function_id>")
@authz.signed_in
def function(function_id: str) -> Response:
    """One function: requirement text, every town's verdict and note, history, the editor."""
    session = get_session()
    function_row = _get_function(session, function_id)
    context = function_context(session, function_row)
    if request.args.get("status") == Status.CUSTOMIZATION.value and context["editable"]:
        # Sent here by the grid to write why the standard does not fit: the verdict is chosen,
        # the note and cost are the ones saved now, and saving goes back to the grid.
        mark = context["my_mark"]
        context["draft"] = Draft(
            status=Status.CUSTOMIZATION.value,
            note=(mark.note if mark else None) or "",
            cost_initial_yen=mark.cost_initial_yen if mark else None,
            cost_annual_yen=mark.cost_annual_yen if mark else None,
        )
        context["next_url"] = safe_next(
            request.args.get("next"), url_for("catalog.function", function_id=function_id)
        )
    return htmx.render("catalog/function.html", **context)


@bp.get("/functions/<function_id>/editor")
@authz.roles(*authz.MARKING_ROLES)
def editor(function_id: str) -> Response:
    """The user's note editor as saved now (to drop one's own version after a conflict)."""
    session = get_session()
    function_row = _get_function(session, function_id)
    page_url = url_for("catalog.function", function_id=function_id, town=request.args.get("town"))
    if not htmx.is_htmx() or function_row.archived_at is not None:
        return redirect(page_url, code=303)
    context = function_context(session, function_row)
    if not context["editable"]:
        return redirect(page_url, code=303)
    return htmx.render("catalog/_editor.html", **context)


@bp.post("/functions/<function_id>/preview")
@authz.roles(*authz.MARKING_ROLES)
def preview(function_id: str) -> Response:
    """The note rendered as it will be shown (raw HTML stays text, unsafe links stay text)."""
    session = get_session()
    function_row = _get_function(session, function_id)
    note = clean_note(request.form.get("note"))
    if htmx.is_htmx():
        return htmx.render("catalog/_preview.html", preview=render_markdown(note))
    context = function_context(session, function_row, town_id=request.form.get("town"))
    context["draft"] = draft_from_form(request.form)
    context["reason"] = clean_reason(request.form.get("reason"))
    context["preview"] = render_markdown(note)
    return htmx.render("catalog/function.html", **context)


def _missing_reason(
    session: Session, function_row: CatalogFunction, town: Town, towns: list[Town], sent: MarkForm
) -> Response:
    """422: a moderator's correction without a reason; the form comes back with the draft."""
    message = _("町に代わって判定を訂正するときは、訂正の理由を書いてください。")
    if sent.context == "grid":
        return errors.error_response(422, message, message)
    context = function_context(session, function_row, town_id=town.id)
    context["draft"] = Draft(
        status=sent.status.value,
        note=sent.note or "",
        cost_initial_yen=sent.cost.initial_yen if sent.cost else None,
        cost_annual_yen=sent.cost.annual_yen if sent.cost else None,
    )
    context["problems"] = [message]
    template = "catalog/_editor.html" if htmx.is_htmx() else "catalog/function.html"
    response = htmx.render(template, **context)
    response.status_code = 422
    return response


def _has_customization_reason(
    session: Session, sent: MarkForm, town_id: str, function_id: str
) -> bool:
    """Whether a customization comes with why the standard does not fit: the editor's note,
    or for a grid button the note of a mark that already is a customization (a note written
    for another verdict explains that verdict, not this one)."""
    if sent.full:
        return not lacks_reason(sent.status, sent.note)
    current = catalog_queries.marks_for_functions(session=session, function_ids=[function_id])
    mark = current.get((town_id, function_id))
    return bool(mark and mark.status == Status.CUSTOMIZATION.value and mark.note)


def _missing_customization_reason(
    session: Session, function_row: CatalogFunction, town: Town, towns: list[Town], sent: MarkForm
) -> Response:
    """422: a customization without a reason. The grid's row says so and links to the editor
    with the verdict chosen; the editor (and, without JavaScript, the grid's button) comes
    back as the function page's editor with what was typed and the problem."""
    message = _(
        "カスタマイズにするときは、標準の機能で足りない理由を「理由・運用のメモ」に"
        "書いてください。打合せでは、この理由をもとに業務見直しで対応できないかを検討します。"
    )
    if sent.context == "grid" and htmx.is_htmx():
        return _row_response(
            session,
            function_row,
            towns,
            next_url=sent.next_url,
            message=message,
            status=422,
            needs_reason=True,
        )
    correction = authz.is_correction(town.id)
    context = function_context(session, function_row, town_id=town.id if correction else None)
    mark = context["my_mark"]
    context["draft"] = Draft(
        status=sent.status.value,
        note=(sent.note if sent.full else (mark.note if mark else None)) or "",
        cost_initial_yen=sent.cost.initial_yen if sent.cost else None,
        cost_annual_yen=sent.cost.annual_yen if sent.cost else None,
    )
    context["problems"] = [message]
    context["reason"] = sent.reason
    if sent.context == "grid":
        context["next_url"] = safe_next(
            sent.next_url, url_for("catalog.area", area_id=function_row.area_id)
        )
    template = "catalog/_editor.html" if htmx.is_htmx() else "catalog/function.html"
    response = htmx.render(template, **context)
    response.status_code = 422
    return response


@bp.post("/functions/<function_id>/marks/<town_id>")
@authz.roles(*authz.MARKING_ROLES)
def save_mark(function_id: str, town_id: str) -> Response:
    """Save one town's mark on one function, refusing to overwrite a newer version.

    Town staff save their own town's marks in their areas; a moderator may correct any
    town's mark, with a reason that goes into the history and the audit trail."""
    session = get_session()
    function_row = _get_function(session, function_id)
    towns = catalog_queries.list_towns(session=session)
    town = next((t for t in towns if t.id == town_id), None)
    if town is None or function_row.archived_at is not None:
        abort(404)
    authz.require_edit(town_id, function_row.area_id)
    sent = MarkForm.parse(request.form)
    correction = authz.is_correction(town_id)
    if correction and sent.reason is None:
        return _missing_reason(session, function_row, town, towns, sent)
    if sent.status is Status.CUSTOMIZATION and not _has_customization_reason(
        session, sent, town_id, function_id
    ):
        return _missing_customization_reason(session, function_row, town, towns, sent)
    edit = sent.edit(town_id, function_id, reason=sent.reason if correction else None)
    _end_read(session)
    try:
        saved = record_mark(get_db(), edit, changed_by=authz.changed_by(), actor=authz.actor())
    except MarkConflict as refused:
        return _conflict_response(session, function_row, town, towns, sent, refused.current)
    board = current_board(session=session, area_id=function_row.area_id, towns=towns)
    message = _(
        "%(id)s の %(town)s の判定を「%(status)s」で保存しました。",
        id=function_id,
        town=town.name,
        status=status_labels()[saved.status],
    )
    if not htmx.is_htmx():
        fallback = (
            url_for("catalog.function", function_id=function_id)
            if sent.context == "page"
            else url_for("catalog.area", area_id=function_row.area_id)
        )
        target = safe_next(sent.next_url, fallback)
        anchor = "#my-mark" if sent.context == "page" else f"#f-{function_id}"
        return redirect(target.split("#")[0] + anchor, code=303)
    if sent.context == "page":
        context = function_context(
            session, function_row, board, town_id=town_id if correction else None
        )
        return htmx.render("catalog/_editor_saved.html", message=message, **context)
    return _row_response(
        session, function_row, towns, next_url=sent.next_url, board=board, message=message
    )


def _conflict_response(
    session: Session,
    function_row: CatalogFunction,
    town: Town,
    towns: list[Town],
    sent: MarkForm,
    current: mark_queries.MarkState | None,
) -> Response:
    """409: show the user's version next to the current one and let them choose."""
    conflict = Conflict(
        status=sent.status.value, note=sent.note, cost=sent.cost, full=sent.full, current=current
    )
    message = _(
        "%(id)s の判定は、ほかの人が先に変更していました。内容を比べて選んでください。",
        id=function_row.id,
    )
    if htmx.is_htmx() and sent.context == "grid":
        return _row_response(
            session,
            function_row,
            towns,
            next_url=sent.next_url,
            conflict=conflict,
            message=message,
            status=409,
        )
    correction = authz.is_correction(town.id)
    context = function_context(session, function_row, town_id=town.id if correction else None)
    context["conflict"] = conflict
    context["reason"] = sent.reason
    if sent.full:
        draft = Draft(
            status=sent.status.value,
            note=sent.note or "",
            cost_initial_yen=sent.cost.initial_yen if sent.cost else None,
            cost_annual_yen=sent.cost.annual_yen if sent.cost else None,
        )
    else:
        # Only the status was sent (the grid): keep the note and cost that are there now.
        draft = Draft(
            status=sent.status.value,
            note=(current.note if current else None) or "",
            cost_initial_yen=current.cost_initial_yen if current else None,
            cost_annual_yen=current.cost_annual_yen if current else None,
        )
    context["draft"] = draft
    context["message"] = message
    context["town"] = town
    context["next_url"] = safe_next(
        sent.next_url, url_for("catalog.function", function_id=function_row.id)
    )
    context["context_name"] = sent.context
    if htmx.is_htmx():
        response = htmx.render("catalog/_editor_saved.html", **context)
    else:
        response = htmx.render("catalog/conflict.html", **context)
    response.status_code = 409
    return response


@bp.errorhandler(Forbidden)
def forbidden(error: Forbidden) -> Response:
    """Changing a mark one may not change: say why, in the user's language."""
    return errors.error_response(
        403,
        _("変更できません"),
        _(
            "このアカウントでは、この判定は変更できません。"
            "町の職員は、自分の町の担当業務の判定だけを変更できます。"
        ),
    )
