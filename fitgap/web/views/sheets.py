"""The Excel round trip on the web: download a town's marking sheet, upload it, preview, apply."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import quote

from flask import Blueprint, abort, make_response, request
from werkzeug.wrappers import Response

from fitgap.domain.files.catalog import InvalidInput
from fitgap.domain.i18n import _
from fitgap.services import sheets
from fitgap.store import catalog as catalog_queries
from fitgap.store.models import Area, Role, Town
from fitgap.web import authz, htmx
from fitgap.web.database import get_db, get_session

bp = Blueprint("sheets", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_FILENAME_LENGTH = 255


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


def _uploaded() -> tuple[bytes, str]:
    if "file" in request.files and request.files["file"].filename:
        upload = request.files["file"]
        return upload.read(), (upload.filename or "upload.xlsx")[:MAX_FILENAME_LENGTH]
    try:
        data = base64.b64decode(request.form.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    if not data:
        abort(400)
    # Only shown and kept in the audit trail: a file's name, not a page of text.
    return data, request.form.get("filename", "upload.xlsx")[:MAX_FILENAME_LENGTH]


@bp.post("/areas/<area_id>/towns/<town_id>/sheet")
@authz.roles(Role.STAFF)
def upload(area_id: str, town_id: str) -> Response:
    """Check an uploaded sheet and show what it would change (nothing is saved yet)."""
    area, town = _area_and_town(area_id, town_id)
    authz.require_edit(town.id, area.id)
    data, filename = _uploaded()
    try:
        preview = sheets.preview_sheet(
            session=get_session(), source=data, town_id=town.id, area_id=area.id, display=filename
        )
    except InvalidInput as error:
        response = htmx.render("sheets/upload.html", area=area, town=town, problems=error.problems)
        response.status_code = 400
        return response
    return htmx.render(
        "sheets/preview.html",
        area=area,
        town=town,
        preview=preview,
        filename=filename,
        data=base64.b64encode(data).decode("ascii"),
    )


@bp.post("/areas/<area_id>/towns/<town_id>/sheet/apply")
@authz.roles(Role.STAFF)
def apply(area_id: str, town_id: str) -> Response:
    """Apply an uploaded sheet: checked again, then every change or none."""
    area, town = _area_and_town(area_id, town_id)
    authz.require_edit(town.id, area.id)
    data, filename = _uploaded()
    try:
        with get_db().write() as session:
            preview = sheets.preview_sheet(
                session=session, source=data, town_id=town.id, area_id=area.id, display=filename
            )
            count = sheets.apply_preview(
                session=session, preview=preview, changed_by=authz.changed_by()
            )
            authz.audit(
                session,
                "marks.imported",
                town.id,
                {"files": [filename], "area": area.id, "changed": count},
            )
    except InvalidInput as error:
        response = htmx.render("sheets/upload.html", area=area, town=town, problems=error.problems)
        response.status_code = 400
        return response
    except sheets.SheetConflict as conflict:
        response = htmx.render(
            "sheets/preview.html",
            area=area,
            town=town,
            preview=sheets.SheetPreview(town.id, area.id, conflict.previews),
            filename=filename,
            data=None,
            conflict=True,
        )
        response.status_code = 409
        return response
    return htmx.render("sheets/applied.html", area=area, town=town, count=count)
