"""The Excel round trip on the web: download a town's marking sheet, upload it, preview, apply."""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping
from urllib.parse import quote

from flask import Blueprint, abort, current_app, make_response, request
from werkzeug.wrappers import Response

from fitgap.domain.files.catalog import InvalidInput
from fitgap.domain.files.marking_sheet import Resolution, WrongFile
from fitgap.domain.i18n import _
from fitgap.services import sheets
from fitgap.store import catalog as catalog_queries
from fitgap.store.models import Area, Role, Town
from fitgap.web import authz, htmx
from fitgap.web.database import get_db, get_session
from fitgap.web.forms.sheets import read_answers
from fitgap.web.forms.uploads import uploaded_file
from fitgap.web.presenters.sheets import change_rows, wrong_file_message

bp = Blueprint("sheets", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _area_and_town(area_id: str, town_id: str | None) -> tuple[Area, Town]:
    session = get_session()
    area = catalog_queries.get_area(session=session, area_id=area_id)
    town = next((t for t in catalog_queries.list_towns(session=session) if t.id == town_id), None)
    if area is None or town is None:
        abort(404)
    return area, town


@bp.get("/areas/<area_id>/towns/<town_id>/sheet.xlsx")
@authz.project
def download(area_id: str, town_id: str) -> Response:
    """A town's marking sheet of one area, to fill in offline."""
    area, town = _area_and_town(area_id, town_id)
    data = sheets.sheet_bytes(session=get_session(), town_id=town.id, area_id=area.id)
    response = make_response(data)
    response.headers["Content-Type"] = XLSX
    filename = _("判定シート-%(town)s-%(area)s.xlsx", town=town.name, area=area.name)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="marks-{town.id}-{area.id}.xlsx"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return response


@bp.get("/areas/<area_id>/towns/<town_id>/sheet")
@authz.roles(Role.STAFF)
def upload_form(area_id: str, town_id: str) -> Response:
    """The page to upload a filled-in marking sheet."""
    area, town = _area_and_town(area_id, town_id)
    authz.require_edit(town.id, area.id)
    return htmx.render("sheets/upload.html", area=area, town=town)


def _refused(area: Area, town: Town, error: InvalidInput) -> Response:
    """400: the upload page again, with what is wrong. A file that is not this page's sheet is
    told in plain words (its precise problems go to the log); a sheet's problems name the cell."""
    if isinstance(error, WrongFile):
        current_app.logger.info("marking sheet refused (%s): %s", error.kind, error)
        message = wrong_file_message(get_session(), error, town=town, area=area)
        response = htmx.render("sheets/upload.html", area=area, town=town, wrong_file=message)
    else:
        response = htmx.render("sheets/upload.html", area=area, town=town, problems=error.problems)
    response.status_code = 400
    return response


def _preview_page(
    area: Area,
    town: Town,
    preview: sheets.SheetPreview,
    *,
    filename: str,
    data: bytes,
    answered: Mapping[str, Resolution] | None = None,
    moved: Collection[str] = (),
    notice: str | None = None,
    status: int = 200,
) -> Response:
    response = htmx.render(
        "sheets/preview.html",
        area=area,
        town=town,
        preview=preview,
        rows=change_rows(preview, answered=answered, moved=moved),
        filename=filename,
        data=base64.b64encode(data).decode("ascii"),
        notice=notice,
    )
    response.status_code = status
    return response


@bp.post("/areas/<area_id>/towns/<town_id>/sheet")
@authz.roles(Role.STAFF)
def upload(area_id: str, town_id: str) -> Response:
    """Check an uploaded sheet and show what it would change (nothing is saved yet)."""
    area, town = _area_and_town(area_id, town_id)
    authz.require_edit(town.id, area.id)
    data, filename = uploaded_file()
    try:
        preview = sheets.preview_sheet(
            session=get_session(), source=data, town_id=town.id, area_id=area.id, display=filename
        )
    except InvalidInput as error:
        return _refused(area, town, error)
    return _preview_page(area, town, preview, filename=filename, data=data)


@bp.post("/areas/<area_id>/towns/<town_id>/sheet/apply")
@authz.roles(Role.STAFF)
def apply(area_id: str, town_id: str) -> Response:
    """Apply an uploaded sheet with the answers to its conflicts: checked again, then every
    change or none."""
    area, town = _area_and_town(area_id, town_id)
    authz.require_edit(town.id, area.id)
    data, filename = uploaded_file()
    answers = read_answers(request.form)
    try:
        if answers.unanswered:
            preview = sheets.preview_sheet(
                session=get_session(),
                source=data,
                town_id=town.id,
                area_id=area.id,
                display=filename,
            )
            notice = _(
                "ほかの人が変更した機能ごとに、残す判定を選んでください。何も反映していません。"
            )
            return _preview_page(
                area,
                town,
                preview,
                filename=filename,
                data=data,
                answered=answers.resolutions,
                notice=notice,
                status=422,
            )
        with get_db().write() as session:
            preview = sheets.preview_sheet(
                session=session, source=data, town_id=town.id, area_id=area.id, display=filename
            )
            applied = sheets.apply_preview(
                session=session,
                preview=preview,
                changed_by=authz.changed_by(),
                resolutions=answers.resolutions,
            )
            authz.audit(
                session,
                "marks.imported",
                town.id,
                {
                    "files": [filename],
                    "area": area.id,
                    "changed": applied.saved,
                    "kept": applied.kept,
                },
            )
    except InvalidInput as error:
        return _refused(area, town, error)
    except sheets.SheetConflict as conflict:
        # Shown as it stands now: the marks that moved since the preview are to be chosen again.
        names = ", ".join(conflict.preview.label(c.function_id) for c in conflict.refused)
        notice = _(
            "確認画面を表示したあとに、ほかの人が次の機能の判定を変更しました。何も反映して"
            "いません。いまの判定を確かめて、もう一度選んでください: %(functions)s",
            functions=names,
        )
        current = sheets.preview_sheet(
            session=get_session(), source=data, town_id=town.id, area_id=area.id, display=filename
        )
        return _preview_page(
            area,
            town,
            current,
            filename=filename,
            data=data,
            answered=answers.resolutions,
            moved={c.function_id for c in conflict.refused},
            notice=notice,
            status=409,
        )
    return htmx.render(
        "sheets/applied.html", area=area, town=town, count=applied.saved, kept=applied.kept
    )
