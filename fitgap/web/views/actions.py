"""Following up between meetings: the open action items (対応事項) and reporting one done."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from fitgap.domain.i18n import _
from fitgap.services import actions as action_service
from fitgap.store import actions as action_queries
from fitgap.store.db import MAX_INTEGER
from fitgap.store.models import Role
from fitgap.web import authz, htmx
from fitgap.web.database import get_db, get_session
from fitgap.web.presenters.actions import follow_up_page
from fitgap.web.views.meetings import console_after_report

bp = Blueprint("actions", __name__)


def _by() -> str:
    by = request.values.get("by", "town")
    return by if by in ("town", "meeting") else "town"


def _page(
    by: str, *, message: str | None = None, problems: list[str] | None = None, status: int = 200
) -> Response:
    """The page; for htmx only its body (with `message` announced to screen readers)."""
    page = follow_up_page(
        session=get_session(),
        by=by,
        own_town=authz.current_town_id(),
        may_report=authz.can_report_action,
    )
    response = htmx.render(
        "actions/index.html",
        "actions_body",
        page=page,
        problems=problems or [],
        message=message if htmx.is_htmx() else None,
    )
    response.status_code = status
    return response


@bp.get("/actions")
@authz.project
def index() -> Response:
    """The open action items of every meeting, per town or per meeting, overdue first."""
    return _page(_by())


def _meeting_field() -> int | None:
    text = request.form.get("meeting", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_INTEGER:
        abort(400)
    return int(text)


@bp.post("/actions/<int:action_id>/status")
@authz.roles(Role.STAFF, Role.MODERATOR)
def report(action_id: int) -> Response:
    """Mark an action item done with a note (done=1), or open it again with a reason (done=0):
    the moderator any item, a town's staff their town's."""
    session = get_session()
    entry = action_queries.entry(session=session, action_id=action_id)
    if entry is None:
        abort(404)
    if not authz.can_report_action(entry.town_id):
        abort(403)
    done_field = request.form.get("done")
    if done_field not in ("0", "1"):
        abort(400)
    done = done_field == "1"
    meeting_id = _meeting_field()  # sent from a meeting's console: back to that console
    if meeting_id is not None and not authz.can_moderate():
        abort(403)
    session.commit()  # end the read snapshot before the write
    problems: list[str] = []
    changed = False
    try:
        with get_db().write() as write:
            changed = action_service.set_done(
                session=write,
                action_id=action_id,
                done=done,
                note=request.form.get("note", ""),
                recorded_by=authz.changed_by(),
                actor=authz.actor(),
            )
    except LookupError:
        abort(404)
    except action_service.ActionError as error:
        problems = error.problems
    if problems:
        if meeting_id is not None:
            return console_after_report(meeting_id, "", problems)
        return _page(_by(), problems=problems, status=422)
    if not changed:
        message = (
            _("この対応事項はすでに完了しています。")
            if done
            else _("この対応事項はすでに未完了です。")
        )
    elif done:
        message = _("対応事項「%(what)s」を完了にしました。", what=entry.what)
    else:
        message = _("対応事項「%(what)s」を未完了に戻しました。", what=entry.what)
    if meeting_id is not None:
        return console_after_report(meeting_id, message)
    if htmx.is_htmx():
        get_session().expire_all()
        return _page(_by(), message=message)
    flash(message, "saved")
    return redirect(url_for("actions.index", by=_by()), code=303)
