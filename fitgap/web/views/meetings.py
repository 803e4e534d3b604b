"""Joint meetings: planning, the moderator's console, the room and town views, the minutes."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, abort, redirect, request, send_file, url_for
from werkzeug.wrappers import Response

from fitgap.domain.i18n import _, current_language
from fitgap.domain.labels import outcome_label
from fitgap.domain.meetings import minutes as log
from fitgap.domain.values import Outcome
from fitgap.domain.wareki import japan_today, wareki, wareki_with_western
from fitgap.services import meetings
from fitgap.store import catalog as catalog_queries
from fitgap.store import clocks as clock_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store import minutes as minutes_queries
from fitgap.store.db import MAX_INTEGER
from fitgap.store.marks import MarkConflict
from fitgap.store.models import AgendaItem, Meeting, Role
from fitgap.web import authz, htmx, scenarios
from fitgap.web.database import get_db, get_session
from fitgap.web.forms.meetings import (
    ACTION_ROWS,
    DECISION_STATUSES,
    attendee_text,
    decision_draft,
    meeting_form,
)
from fitgap.web.fragments import fragment_cache
from fitgap.web.presenters.actions import carried_rows, open_action_counts
from fitgap.web.presenters.meetings import (
    agenda_context,
    agenda_message,
    console_stamp,
    current_view,
    decision_message,
    decision_values,
    screen_context,
)

bp = Blueprint("meetings", __name__)

POLL_SECONDS = 2
CONSOLE_POLL_SECONDS = 3  # the console follows changes made elsewhere: rarer, less urgent
EXPORT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# Who may run meetings, in fitgap.authz: only moderators plan them, use the console and record
# decisions; every signed-in account follows them and reads the decision log.
moderator_only = authz.roles(Role.MODERATOR)


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = meeting_queries.get_meeting(session=get_session(), meeting_id=meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _duration(seconds: int) -> str:
    """12:05, or 1:02:05 past an hour (the same format meetings.js ticks)."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.app_template_filter("wareki")
def _wareki_filter(value: date | None) -> str:
    return "" if value is None else wareki_with_western(value)


@bp.app_template_filter("duration")
def _duration_filter(value: int) -> str:
    return _duration(value)


@bp.app_template_filter("outcome_label")
def _outcome_filter(value: str) -> str:
    return outcome_label(value)


# --- planning --------------------------------------------------------------------------------


@bp.get("/meetings")
@authz.project
def index() -> Response:
    """Every meeting, with links to plan a new one and to the project's decision log."""
    session = get_session()
    areas = catalog_queries.list_areas(session=session)
    return htmx.render(
        "meetings/index.html",
        meetings=meeting_queries.list_meetings(session=session),
        area_names={a.id: a.name for a in areas},
        counts=meeting_queries.decision_counts(session=session),
        export_scenarios=scenarios.choices(),
        open_actions=open_action_counts(session),
    )


def _render_form(meeting: Meeting | None, problems: list[str], status: int = 200) -> Response:
    session = get_session()
    towns = catalog_queries.list_towns(session=session)
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in request.form}
    elif meeting is not None:
        assert meeting.id is not None  # noqa: S101 - a stored meeting
        rows = meeting_queries.attendees(session=session, meeting_id=meeting.id)
        values = {
            "area": meeting.area_id,
            "held_on": meeting.held_on.isoformat(),
            "title": meeting.title,
            "place": meeting.place,
            "moderator": meeting.moderator,
            "attendees-other": attendee_text(rows, None),
            **{f"attendees-{t.id}": attendee_text(rows, t.id) for t in towns},
        }
    else:
        today = japan_today()  # the towns' date, whatever the server's zone
        values = {
            "area": request.args.get("area", ""),
            "held_on": today.isoformat(),
            "moderator": authz.require_user().name,
        }
    response = htmx.render(
        "meetings/form.html",
        meeting=meeting,
        areas=catalog_queries.list_areas(session=session),
        towns=towns,
        values=values,
        problems=problems,
    )
    response.status_code = status
    return response


@bp.route("/meetings/new", methods=["GET", "POST"])
@moderator_only
def new() -> Response:
    """Plan a meeting: area, date, place, moderator, attendees; the tool proposes the agenda."""
    if request.method == "GET":
        return _render_form(None, [])
    data, problems = meeting_form(catalog_queries.list_towns(session=get_session()))
    if data is None:
        return _render_form(None, problems, 422)
    try:
        with get_db().write() as session:
            meeting = meetings.create_meeting(session=session, data=data)
            authz.audit(
                session,
                "meeting.created",
                f"meeting:{meeting.id}",
                {"area": data.area_id, "held_on": data.held_on.isoformat()},
            )
    except meeting_queries.MeetingError as error:
        return _render_form(None, error.problems, 422)
    return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@moderator_only
def edit(meeting_id: int) -> Response:
    """Change a meeting's date, place, moderator and attendees."""
    meeting = _meeting_or_404(meeting_id)
    if request.method == "GET":
        return _render_form(meeting, [])
    data, problems = meeting_form(catalog_queries.list_towns(session=get_session()))
    if data is None:
        return _render_form(meeting, problems, 422)
    try:
        with get_db().write() as session:
            meeting_queries.update_meeting(session=session, meeting_id=meeting_id, data=data)
            authz.audit(
                session,
                "meeting.updated",
                f"meeting:{meeting_id}",
                {"held_on": data.held_on.isoformat()},
            )
    except meeting_queries.MeetingError as error:
        return _render_form(meeting, error.problems, 422)
    return redirect(url_for("meetings.show", meeting_id=meeting_id), code=303)


@bp.get("/meetings/<int:meeting_id>")
@authz.project
def show(meeting_id: int) -> Response:
    """A meeting: details, attendees, agenda with results, and the ways into it."""
    meeting = _meeting_or_404(meeting_id)
    session = get_session()
    minutes = minutes_queries.gather_minutes(session=session, meeting_id=meeting_id)
    return htmx.render(
        "meetings/show.html",
        meeting=meeting,
        minutes=minutes,
        record=minutes.meetings[0],
        area=catalog_queries.get_area(session=session, area_id=meeting.area_id),
        towns=catalog_queries.list_towns(session=session),
        export_scenarios=scenarios.choices(),
        text=log,
    )


# --- the moderator's console -----------------------------------------------------------------


def _console(
    meeting: Meeting,
    *,
    problems: list[str] | None = None,
    problems_at: str | None = None,
    values: dict[str, str] | None = None,
    selected: int | None = None,
    status: int = 200,
    message: str | None = None,
) -> Response:
    """The console page; for htmx only its body, swapped in place (with `message` announced).
    `problems_at` puts the problems next to the form they are about ("decision", "agenda",
    "carried")."""
    context = _console_context(meeting, selected or meeting.current_item_id)
    response = htmx.render(
        "meetings/console.html",
        "console_body",
        problems=problems or [],
        problems_at=problems_at,
        values=values if values is not None else decision_values(context["view"]),
        message=message if htmx.is_htmx() else None,
        live=request.args.get("live", "1") != "0",
        **context,
    )
    response.status_code = status
    return response


def _console_context(meeting: Meeting, item_id: int | None) -> dict[str, Any]:
    """What the console shows of the meeting, with `item_id` as the chosen item."""
    session = get_session()
    # The stamp first: a change made while the rest is read shows at the next poll.
    stamp = console_stamp(session, meeting)
    context = agenda_context(meeting)
    items: list[AgendaItem] = context["items"]
    return {
        "meeting": meeting,
        "area": catalog_queries.get_area(session=session, area_id=meeting.area_id),
        "towns": catalog_queries.list_towns(session=session),
        "view": current_view(meeting, items, context["board"], item_id),
        "outcomes": list(Outcome),
        "decision_statuses": DECISION_STATUSES,
        "action_rows": range(ACTION_ROWS),
        "carried": carried_rows(
            session=session, meeting=meeting, may_report=authz.can_report_action
        ),
        "stamp": stamp,
        "poll_seconds": CONSOLE_POLL_SECONDS,
        **context,
    }


def _after_change(
    meeting_id: int,
    anchor: str,
    message: str | Callable[[], str],
    selected: int | None = None,
) -> Response:
    """After a console form: htmx gets the console's body anew, in place (no jump), with
    `message` (or what it returns, read after the change) for screen readers; a plain form
    goes back to the console page at `anchor`."""
    if not htmx.is_htmx():
        return _back_to_console(meeting_id, anchor, selected)
    session = get_session()
    session.commit()  # end the read snapshot taken before the write
    session.expire_all()  # and forget the rows read then: the meeting has changed
    text = message if isinstance(message, str) else message()
    return _console(_meeting_or_404(meeting_id), selected=selected, message=text)


def console_after_report(
    meeting_id: int, message: str, problems: list[str] | None = None
) -> Response:
    """After an action item of the console's carried-over list was reported done: the console
    anew (htmx) or back at the list (a plain form); with `problems`, the console showing them."""
    if problems:
        meeting = _meeting_or_404(meeting_id)
        return _console(meeting, problems=problems, problems_at="carried", status=422)
    return _after_change(meeting_id, "#carried", message)


def _selected_item() -> int | None:
    try:
        return int(request.args["item"]) if "item" in request.args else None
    except ValueError:
        return None


@bp.get("/meetings/<int:meeting_id>/console")
@moderator_only
def console(meeting_id: int) -> Response:
    """The moderator's console: step through the agenda, edit it, record decisions."""
    return _console(_meeting_or_404(meeting_id), selected=_selected_item())


@bp.get("/meetings/<int:meeting_id>/console/changes")
@moderator_only
@authz.background_poll
def console_changes(meeting_id: int) -> Response:
    """What the console polls: 204 while nothing it shows changed elsewhere, else its parts
    anew (out of band), the item it shows kept (none chosen: the room's current item)."""
    meeting = _meeting_or_404(meeting_id)
    if console_stamp(get_session(), meeting) == request.args.get("v", ""):
        response = Response(status=204)
        response.headers["Cache-Control"] = "no-store"
        return response
    shown = _row_id(request.args.get("item", ""))
    context = _console_context(meeting, shown or meeting.current_item_id)
    response = htmx.render(
        "meetings/_console_changes.html",
        problems=[],
        problems_at=None,
        values=decision_values(context["view"]),
        live=True,
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _back_to_console(meeting_id: int, anchor: str = "", selected: int | None = None) -> Response:
    target = url_for("meetings.console", meeting_id=meeting_id, item=selected) + anchor
    return redirect(target, code=303)


def _int_field(name: str) -> int:
    """A row id sent in the form; anything that cannot name a row is a bad request."""
    number = _row_id(request.form.get(name, ""))
    if number is None:
        abort(400)
    return number


def _row_id(text: str) -> int | None:
    """The row id that `text` spells (ASCII digits within the database's integers), or None."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_INTEGER else None


@bp.post("/meetings/<int:meeting_id>/current")
@moderator_only
def set_current(meeting_id: int) -> Response:
    """Put the next, previous or a chosen item on every screen."""
    _meeting_or_404(meeting_id)
    direction = request.form.get("go")
    try:
        with get_db().write() as session:
            if direction in ("next", "previous"):
                meeting_queries.step(
                    session=session, meeting_id=meeting_id, forward=direction == "next"
                )
            else:
                meeting_queries.set_current(
                    session=session, meeting_id=meeting_id, item_id=_int_field("item")
                )
    except LookupError:
        abort(404)
    return _after_change(meeting_id, "#current", _("会議室の画面の議題を切り替えました。"))


@bp.post("/meetings/<int:meeting_id>/agenda")
@moderator_only
def add_item(meeting_id: int) -> Response:
    """Add a function of the area to the agenda."""
    meeting = _meeting_or_404(meeting_id)
    try:
        with get_db().write() as session:
            meeting_queries.add_item(
                session=session,
                meeting_id=meeting_id,
                function_id=request.form.get("function_id", ""),
            )
    except meeting_queries.MeetingError as error:
        return _console(meeting, problems=error.problems, problems_at="agenda", status=422)
    return _after_change(meeting_id, "#agenda", _("議題を追加しました。"))


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>")
@moderator_only
def change_item(meeting_id: int, item_id: int) -> Response:
    """Move an item up, down or to the top, leave it for later (or take it back), or drop it."""
    meeting = _meeting_or_404(meeting_id)
    action = request.form.get("action")
    try:
        with get_db().write() as session:
            if action == "top":
                meeting_queries.move_item_to_top(
                    session=session, meeting_id=meeting_id, item_id=item_id
                )
            elif action in ("up", "down"):
                meeting_queries.move_item(
                    session=session,
                    meeting_id=meeting_id,
                    item_id=item_id,
                    offset=-1 if action == "up" else 1,
                )
            elif action in ("later", "now"):
                meeting_queries.set_later(
                    session=session, meeting_id=meeting_id, item_id=item_id, later=action == "later"
                )
            elif action == "drop":
                meeting_queries.drop_item(session=session, meeting_id=meeting_id, item_id=item_id)
            else:
                abort(400)
    except LookupError:
        abort(404)
    except meeting_queries.MeetingError as error:
        return _console(meeting, problems=error.problems, problems_at="agenda", status=422)
    return _after_change(
        meeting_id,
        f"#item-{item_id}",
        lambda: agenda_message(get_session(), meeting_id, item_id, action),
    )


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/decision")
@moderator_only
def decide(meeting_id: int, item_id: int) -> Response:
    """Record the decision on an item; the towns' marks follow it in the same transaction."""
    meeting = _meeting_or_404(meeting_id)
    town_ids = [t.id for t in catalog_queries.list_towns(session=get_session())]
    draft, problems = decision_draft(town_ids)
    raw_supersedes = request.form.get("supersedes", "")
    supersedes = _row_id(raw_supersedes)
    values = {key: request.form.get(key, "") for key in request.form}
    if draft is None or problems:
        return _console(
            meeting,
            problems=problems,
            problems_at="decision",
            values=values,
            selected=item_id,
            status=422,
        )
    try:
        with get_db().write() as session:
            meetings.record_decision(
                session=session,
                meeting_id=meeting_id,
                item_id=item_id,
                draft=draft,
                supersedes_id=supersedes,
                actor=authz.actor(),
            )
    except LookupError:
        abort(404)
    except meeting_queries.MeetingError as error:
        return _console(
            meeting,
            problems=error.problems,
            problems_at="decision",
            values=values,
            selected=item_id,
            status=422,
        )
    except MarkConflict:
        message = _("記録中に町の判定が変わりました。もう一度記録してください。")
        return _console(
            meeting,
            problems=[message],
            problems_at="decision",
            values=values,
            selected=item_id,
            status=409,
        )
    return _after_change(
        meeting_id, "#current", lambda: decision_message(get_session(), item_id), selected=item_id
    )


# --- the room view and the towns' views ------------------------------------------------------


def _screen(meeting_id: int, view_name: str) -> Response:
    meeting = _meeting_or_404(meeting_id)
    session = get_session()
    town_id = request.args.get("town") or None
    if town_id is not None and town_id not in catalog_queries.active_town_ids(session=session):
        abort(404)
    live = request.args.get("live", "1") != "0"
    return htmx.render(
        "meetings/screen.html",
        live=live,
        announce=False,
        **screen_context(meeting, view_name, town_id, poll_seconds=POLL_SECONDS),
    )


@bp.get("/meetings/<int:meeting_id>/room")
@authz.project
def room(meeting_id: int) -> Response:
    """The projector's view: the current item in large type, following the moderator."""
    return _screen(meeting_id, "room")


@bp.get("/meetings/<int:meeting_id>/follow")
@authz.project
def follow(meeting_id: int) -> Response:
    """A participant's view (optionally of one town): the current item, following the moderator."""
    return _screen(meeting_id, "follow")


@bp.get("/meetings/<int:meeting_id>/live")
@authz.project
@authz.background_poll
def live(meeting_id: int) -> Response:
    """What browsers poll: 204 while the meeting is unchanged, else the current item anew."""
    try:
        seen = int(request.args.get("v", "0"))
    except ValueError:
        seen = 0
    version = meeting_queries.state_version(session=get_session(), meeting_id=meeting_id)
    if version is None:
        abort(404)
    if version == seen:
        # Nothing changed: an empty 204 keeps the poll cheap and htmx swaps nothing.
        response = Response(status=204)
        response.headers["Cache-Control"] = "no-store"
        return response
    meeting = _meeting_or_404(meeting_id)
    view_name = "room" if request.args.get("view") == "room" else "follow"
    town_id = request.args.get("town") or None
    if town_id is not None and town_id not in catalog_queries.active_town_ids(
        session=get_session()
    ):
        town_id = None
    shown = request.args.get("item", "")
    announce = shown != str(meeting.current_item_id or "")
    # Every following browser asks for the new item within a poll's time: render it once.
    clocks = clock_queries.clocks(session=get_session(), area_id=meeting.area_id).stamp
    key = (
        meeting.id,
        meeting.state_version,
        clocks,
        view_name,
        town_id,
        announce,
        current_language(),
    )
    body = fragment_cache().get(
        key,
        lambda: htmx.render_block(
            "meetings/screen.html",
            "live",
            live=True,
            announce=announce,
            **screen_context(meeting, view_name, town_id, poll_seconds=POLL_SECONDS),
        ),
    )
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return htmx.vary(response)


# --- the decision log ------------------------------------------------------------------------


@bp.get("/meetings/<int:meeting_id>/minutes")
@authz.project
def minutes(meeting_id: int) -> Response:
    """The meeting's decision log as a page that prints on A4."""
    _meeting_or_404(meeting_id)
    record = minutes_queries.gather_minutes(session=get_session(), meeting_id=meeting_id)
    return _minutes_page(record, meeting_id)


@bp.get("/minutes")
@authz.project
def all_minutes() -> Response:
    """The whole project's decision log as a page that prints on A4."""
    return _minutes_page(minutes_queries.gather_minutes(session=get_session()), None)


def _minutes_page(record: log.Minutes, meeting_id: int | None) -> Response:
    return htmx.render(
        "meetings/minutes.html",
        minutes=record,
        meeting_id=meeting_id,
        text=log,
        export_scenarios=scenarios.choices(),
    )


def _download(record: log.Minutes, kind: str, name: str, meeting_id: int | None) -> Response:
    if kind not in EXPORT_TYPES:
        abort(404)
    # A saved scenario's table (参加団体の検討) at the end, when the form asked for one.
    record = replace(record, scenario=scenarios.requested(request.args.get("scenario")))
    if kind == "md":
        data = log.to_markdown(record).encode("utf-8")
    elif kind == "csv":
        data = log.to_csv(record)
    else:
        data = log.to_xlsx(record)
    get_session().commit()
    with get_db().write() as write:
        authz.audit(
            write,
            "export.downloaded",
            f"meeting:{meeting_id}" if meeting_id is not None else "minutes:all",
            {
                "format": kind,
                "decisions": sum(len(m.decisions) for m in record.meetings),
                **({"scenario": record.scenario.name} if record.scenario else {}),
            },
        )
    # send_file writes the RFC 5987 filename* for the Japanese name, with an ASCII fallback.
    return send_file(
        io.BytesIO(data),
        mimetype=EXPORT_TYPES[kind],
        as_attachment=True,
        download_name=f"{log.file_name(name)}.{kind}",
        max_age=0,
    )


@bp.get("/meetings/<int:meeting_id>/minutes.<kind>")
@authz.roles(*authz.EXPORT_ROLES)
def download(meeting_id: int, kind: str) -> Response:
    """The meeting's decision log as a Markdown, CSV or Excel file."""
    meeting = _meeting_or_404(meeting_id)
    session = get_session()
    record = minutes_queries.gather_minutes(session=session, meeting_id=meeting_id)
    area = catalog_queries.get_area(session=session, area_id=meeting.area_id)
    name = _(
        "議事録-%(area)s-%(date)s",
        area=area.name if area else meeting.area_id,
        date=wareki(meeting.held_on),
    )
    return _download(record, kind, name, meeting_id)


@bp.get("/minutes/decisions.<kind>")
@authz.roles(*authz.EXPORT_ROLES)
def download_all(kind: str) -> Response:
    """The whole project's decision log as a Markdown, CSV or Excel file."""
    record = minutes_queries.gather_minutes(session=get_session())
    return _download(record, kind, _("議事録-全会議"), None)
