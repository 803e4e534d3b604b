"""The vendor's pages: the open customization requests, answering one, the answer sheet
round trip; and a town's staff accepting an answer on the function page."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date
from urllib.parse import quote

from flask import Blueprint, abort, make_response, redirect, request, url_for
from werkzeug.wrappers import Response

from fitgap.domain.files.yamlfile import InvalidInput
from fitgap.domain.i18n import _
from fitgap.services import vendor as vendor_service
from fitgap.store import catalog as catalog_queries
from fitgap.store import vendor as vendor_queries
from fitgap.store.marks import MarkConflict
from fitgap.store.models import CatalogFunction, Role
from fitgap.web import authz, errors, htmx
from fitgap.web.database import get_db, get_session
from fitgap.web.forms.uploads import uploaded_file
from fitgap.web.forms.vendor import AnswerDraft, answer_from_form, draft_from_form
from fitgap.web.presenters.vendor import function_answer, kind_choices, requests_context

bp = Blueprint("vendor", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return date.today()


def _function(function_id: str) -> CatalogFunction:
    function = catalog_queries.get_function(session=get_session(), function_id=function_id)
    if function is None or function.archived_at is not None:
        abort(404)
    return function


@bp.get("/vendor/requests")
@authz.signed_in
def requests() -> Response:
    """The open customization requests: the towns asking, their reasons, the vendor's answer."""
    area_id = request.args.get("area") or None
    session = get_session()
    if area_id is not None and catalog_queries.get_area(session=session, area_id=area_id) is None:
        abort(404)
    context = requests_context(
        session, area_id=area_id, unanswered=request.args.get("unanswered") == "1"
    )
    return htmx.render("vendor/requests.html", **context)


def _answer_page(
    function: CatalogFunction,
    draft: AnswerDraft,
    problems: list[str] | None = None,
    status: int = 200,
) -> Response:
    session = get_session()
    requests = vendor_queries.open_requests(session=session, function_ids=[function.id])
    response = htmx.render(
        "vendor/answer.html",
        function=function,
        area=catalog_queries.get_area(session=session, area_id=function.area_id),
        request_=requests[0] if requests else None,
        current=function_answer(session, function.id),
        kinds=kind_choices(),
        draft=draft,
        problems=problems or [],
    )
    response.status_code = status
    return response


@bp.get("/vendor/requests/<function_id>/answer")
@authz.roles(*authz.VENDOR_ROLES)
def answer_form(function_id: str) -> Response:
    """The form to answer one request (a new answer supersedes the current one)."""
    function = _function(function_id)
    current = vendor_queries.latest_answer(session=get_session(), function_id=function.id)
    draft = AnswerDraft(
        answered_on=_today().isoformat(), expected=str(current.id if current else 0)
    )
    return _answer_page(function, draft)


@bp.post("/vendor/requests/<function_id>/answer")
@authz.roles(*authz.VENDOR_ROLES)
def answer(function_id: str) -> Response:
    """Store the vendor's answer on one request."""
    function = _function(function_id)
    draft = draft_from_form(request.form)
    answer, expected, problems = answer_from_form(draft, function.id, _today())
    if answer is None:
        return _answer_page(function, draft, problems, 400)
    try:
        with get_db().write() as session:
            vendor_service.record_answer(
                session=session,
                answer=replace(answer, answered_by=authz.changed_by()),
                expected_id=expected,
                source="web",
                actor=authz.actor(),
            )
    except InvalidInput as error:
        return _answer_page(function, draft, [p.message for p in error.problems], 400)
    except vendor_service.AnswerConflict:
        get_session().rollback()
        message = _(
            "この機能には、フォームを開いた後に別の回答が登録されました。最新の回答を確かめて"
            "から、もう一度送ってください。"
        )
        current = vendor_queries.latest_answer(session=get_session(), function_id=function.id)
        draft = replace(draft, expected=str(current.id if current else 0))
        return _answer_page(function, draft, [message], 409)
    return redirect(url_for("vendor.requests", _anchor=f"request-{function.id}"), 303)


@bp.get("/vendor/requests.xlsx")
@authz.roles(Role.VENDOR, Role.MODERATOR)
def sheet_download() -> Response:
    """The open requests as the vendor's answer sheet (Excel), to answer offline."""
    area_id = request.args.get("area") or None
    session = get_session()
    if area_id is not None and catalog_queries.get_area(session=session, area_id=area_id) is None:
        abort(404)
    data = vendor_service.requests_sheet(session=session, area_id=area_id)
    response = make_response(data)
    response.headers["Content-Type"] = XLSX
    filename = _("カスタマイズ要望回答シート.xlsx")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"vendor-answers.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@bp.get("/vendor/sheet")
@authz.roles(*authz.VENDOR_ROLES)
def upload_form() -> Response:
    """The page to upload a filled-in answer sheet."""
    return htmx.render("vendor/upload.html")


def _refused(error: InvalidInput) -> Response:
    response = htmx.render("vendor/upload.html", problems=error.problems)
    response.status_code = 400
    return response


@bp.post("/vendor/sheet")
@authz.roles(*authz.VENDOR_ROLES)
def upload() -> Response:
    """Check an uploaded answer sheet and show what it would store (nothing is saved yet)."""
    data, filename = uploaded_file()
    try:
        preview = vendor_service.preview_answer_sheet(
            session=get_session(), source=data, display=filename, today=_today()
        )
    except InvalidInput as error:
        return _refused(error)
    return htmx.render(
        "vendor/preview.html",
        preview=preview,
        filename=filename,
        data=base64.b64encode(data).decode("ascii"),
    )


@bp.post("/vendor/sheet/apply")
@authz.roles(*authz.VENDOR_ROLES)
def apply() -> Response:
    """Store the answers of an uploaded sheet: checked again, then every answer or none."""
    data, filename = uploaded_file()
    try:
        with get_db().write() as session:
            preview = vendor_service.preview_answer_sheet(
                session=session, source=data, display=filename, today=_today()
            )
            count = vendor_service.apply_answer_preview(
                session=session,
                preview=preview,
                answered_by=authz.changed_by(),
                filename=filename,
                actor=authz.actor(),
            )
    except InvalidInput as error:
        return _refused(error)
    except vendor_service.AnswerConflict:
        preview = vendor_service.preview_answer_sheet(
            session=get_session(), source=data, display=filename, today=_today()
        )
        response = htmx.render(
            "vendor/preview.html", preview=preview, filename=filename, data=None, conflict=True
        )
        response.status_code = 409
        return response
    return htmx.render("vendor/applied.html", count=count)


@bp.post("/functions/<function_id>/answers/<int:answer_id>/accept")
@authz.roles(Role.STAFF)
def accept(function_id: str, answer_id: int) -> Response:
    """A town's staff accept the vendor's answer: their customization becomes 適合 or 業務見直し."""
    function = _function(function_id)
    town_id = authz.current_town_id()
    if town_id is None:
        abort(403)
    authz.require_edit(town_id, function.area_id)
    answer = vendor_queries.get_answer(session=get_session(), answer_id=answer_id)
    if answer is None or answer.function_id != function.id:
        abort(404)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    get_session().commit()  # end the read transaction before the write (see catalog views)
    try:
        vendor_service.accept_answer(
            get_db(),
            town_id=town_id,
            answer_id=answer.id,
            expected_version=version,
            changed_by=authz.changed_by(),
            actor=authz.actor(),
        )
    except vendor_service.NotAcceptable as refused:
        return errors.error_response(409, _("回答を受け入れられませんでした"), str(refused))
    except MarkConflict:
        message = _("この判定は、ページを開いた後にほかの人が変更しました。開き直してください。")
        return errors.error_response(409, _("回答を受け入れられませんでした"), message)
    target = url_for("catalog.function", function_id=function.id, accepted=answer.id)
    return htmx.redirect(target + "#vendor-answer")
