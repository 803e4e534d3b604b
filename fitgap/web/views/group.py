"""参加団体の検討: which towns should share the package, at what cost, who agrees with whom;
saved scenarios and their comparison."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from werkzeug.wrappers import Response

from fitgap.domain.i18n import _
from fitgap.domain.values import Role
from fitgap.services import group as group_service
from fitgap.store import group as group_queries
from fitgap.web import authz, htmx
from fitgap.web.database import get_db, get_session
from fitgap.web.errors import error_response
from fitgap.web.presenters.group import (
    compare_context,
    is_small_number,
    kept_basis,
    page_context,
    parse_choice,
    parse_years,
)

bp = Blueprint("group", __name__)

POLL_SECONDS = 30
READERS = tuple(sorted(authz.GROUP_ROLES))


def _bad_request(problems: tuple[str, ...] | list[str]) -> Response:
    return error_response(400, _("入力に誤りがあります"), " ".join(problems))


def _no_group_file(error: group_service.NoGroupFile) -> Response:
    return error_response(404, _("グループファイルがありません"), str(error))


def _poll_args(stamp: str) -> dict[str, Any]:
    """The page's query with the clocks' stamp it was drawn at (replacing an older one)."""
    args: dict[str, Any] = {key: request.args.getlist(key) for key in request.args if key != "v"}
    args["v"] = stamp
    return args


@bp.get("/group")
@authz.roles(*READERS)
@authz.background_poll
def page() -> Response:
    """Merit per town, the group's risk, the agreement heat map and the suggestions for the
    chosen towns (the members by default)."""
    session = get_session()
    kept = kept_basis()
    try:
        basis, stamp = kept.basis(session=session)
    except group_service.NoGroupFile as error:
        return _no_group_file(error)
    if htmx.is_htmx() and request.args.get("v") == stamp:
        response = Response(status=204)
        response.headers["Cache-Control"] = "no-store"
        return response
    choice = parse_choice(request.args, request.args.getlist("town"), basis, session)
    if choice.problems:
        return _bad_request(choice.problems)
    made = kept.report(session=session, town_ids=choice.town_ids, years=choice.years)
    return htmx.render(
        "group/page.html",
        "results",
        scenarios=group_queries.list_scenarios(session=session),
        poll_seconds=POLL_SECONDS,
        can_save=authz.can_moderate(),
        # The poll names the clocks it was drawn at: while none has moved, nothing is redrawn.
        poll_url=url_for("group.page", **_poll_args(stamp)),
        **page_context(basis=basis, report=made, choice=choice),
    )


@bp.post("/group/scenarios")
@authz.roles(Role.MODERATOR)
def save_scenario() -> Response:
    """Save the chosen towns under a name (the same name replaces the earlier choice)."""
    with get_db().write() as session:
        try:
            basis, _stamp = kept_basis().basis(session=session)
        except group_service.NoGroupFile as error:
            return _no_group_file(error)
        years, problems = parse_years(request.form.get("years", "").strip())
        if problems:
            return _bad_request(problems)
        try:
            scenario = group_service.save_scenario(
                session=session,
                basis=basis,
                name=request.form.get("name", ""),
                town_ids=request.form.getlist("town"),
                years=years,
                actor=authz.actor(),
            )
        except group_service.ScenarioError as error:
            return _bad_request(list(error.problems))
        target = url_for("group.page", scenario=scenario.id)
    return htmx.redirect(target)


@bp.post("/group/scenarios/<int:scenario_id>/delete")
@authz.roles(Role.MODERATOR)
def delete_scenario(scenario_id: int) -> Response:
    """Remove a saved scenario."""
    with get_db().write() as session:
        group_service.delete_scenario(session=session, scenario_id=scenario_id, actor=authz.actor())
    return htmx.redirect(url_for("group.compare"))


@bp.get("/group/compare")
@authz.roles(*READERS)
def compare() -> Response:
    """Saved scenarios side by side (all of them, or those named with `scenario`)."""
    session = get_session()
    try:
        basis, _stamp = kept_basis().basis(session=session)
    except group_service.NoGroupFile as error:
        return _no_group_file(error)
    scenarios = group_queries.list_scenarios(session=session)
    wanted = request.args.getlist("scenario")
    if wanted:
        if not all(is_small_number(w) for w in wanted):
            return _bad_request([_("シナリオの指定に誤りがあります")])
        picked = {int(w) for w in wanted}
        scenarios = [s for s in scenarios if s.id in picked]
    return htmx.render(
        "group/compare.html",
        None,
        scenarios=group_queries.list_scenarios(session=session),
        wanted=wanted,
        can_save=authz.can_moderate(),
        **compare_context(basis=basis, scenarios=scenarios),
    )
