"""Downloads of the fit-gap matrix (Fit&Gap表), for everyone signed in (the vendor too: the
matrix is the document a fit-gap hands to the vendor; the vendor's carries a town's note only
where the town asks for a customization, see Audience)."""

from __future__ import annotations

import tempfile

from flask import Blueprint, abort, request, send_file
from werkzeug.wrappers import Response

from fitgap.domain.files.matrix import Audience, area_csv
from fitgap.domain.i18n import _
from fitgap.domain.meetings.minutes import file_name
from fitgap.services import matrix as matrix_service
from fitgap.store.matrix import MatrixArea
from fitgap.web import authz, scenarios
from fitgap.web.database import get_db, get_session
from fitgap.web.errors import error_response

bp = Blueprint("exports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
ZIP = "application/zip"
KINDS = ("xlsx", "csv")


def _send(areas: list[MatrixArea], kind: str, scope: str, name: str) -> Response:
    session = get_session()
    # The vendor's matrix leaves out the notes its own pages hide: only a customization's reason.
    audience = Audience.VENDOR if authz.is_vendor() else Audience.PROJECT
    # A saved scenario's table (参加団体の検討) as a sheet of the workbook, when asked for.
    scenario = scenarios.requested(request.args.get("scenario"))
    if scenario is not None and kind != "xlsx":
        abort(
            error_response(
                400, _("入力に誤りがあります"), _("シナリオの表は Excel にだけ加えられます")
            )
        )
    # On disk, not in memory: a whole project's workbook is tens of MB. send_file streams
    # the file and closes (and so deletes) it when the response is done.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
    try:
        if kind == "xlsx":
            matrix_service.write_xlsx(
                session=session, target=spool, areas=areas, scenario=scenario, audience=audience
            )
            mimetype, suffix = XLSX, "xlsx"
        elif len(areas) == 1:
            area = next(matrix_service.iter_areas(session=session, areas=areas, audience=audience))
            spool.write(area_csv(area))
            mimetype, suffix = CSV, "csv"
        else:
            matrix_service.write_csv_zip(
                session=session, target=spool, areas=areas, audience=audience
            )
            mimetype, suffix = ZIP, "zip"
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    session.commit()
    with get_db().write() as write:
        details: dict[str, object] = {"format": suffix, "areas": len(areas)}
        if audience is Audience.VENDOR:
            details["audience"] = audience.value
        if scenario is not None:
            details["scenario"] = scenario.name
        authz.audit(write, "export.downloaded", scope, details)
    return send_file(
        spool,
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"{file_name(name)}.{suffix}",
        max_age=0,
    )


@bp.get("/matrix.<kind>")
@authz.roles(*authz.EXPORT_ROLES)
def matrix(kind: str) -> Response:
    """The whole project's fit-gap matrix: an Excel workbook, or one CSV per area in a zip."""
    if kind not in KINDS:
        abort(404)
    areas = matrix_service.areas_to_write(session=get_session(), area_id=None)
    return _send(areas, kind, "matrix:all", _("Fit&Gap表-全業務"))


@bp.get("/areas/<area_id>/matrix.<kind>")
@authz.roles(*authz.EXPORT_ROLES)
def area_matrix(area_id: str, kind: str) -> Response:
    """One area's fit-gap matrix as an Excel workbook or a CSV file."""
    if kind not in KINDS:
        abort(404)
    try:
        areas = matrix_service.areas_to_write(session=get_session(), area_id=area_id)
    except matrix_service.UnknownArea:
        abort(404)
    return _send(areas, kind, f"matrix:{area_id}", _("Fit&Gap表-%(area)s", area=areas[0].name))
