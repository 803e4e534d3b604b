"""A saved scenario of the group (参加団体の検討) in the exports: who may add one, the choices the
export forms offer, and the table an export asked for with `?scenario=<number>`.

Only those who read the group page (the moderator and the observers) may add a scenario: it
carries every town's merit, which the towns' staff and the vendor do not see elsewhere.
"""

from __future__ import annotations

from flask import abort

from fitgap.domain.group.table import ScenarioTable
from fitgap.domain.i18n import _
from fitgap.services import group as group_service
from fitgap.store import group as group_queries
from fitgap.store.models import GroupScenario
from fitgap.web import authz
from fitgap.web.database import get_session
from fitgap.web.errors import error_response
from fitgap.web.presenters.group import kept_basis


def choices() -> list[GroupScenario]:
    """The saved scenarios an export form offers this user (none unless they read the group
    page)."""
    if not authz.can_read_group():
        return []
    return group_queries.list_scenarios(session=get_session())


def requested(raw: str | None) -> ScenarioTable | None:
    """The table of the scenario an export asked for (None: none asked); 403 for a user who may
    not add one, 404 naming a scenario that is not saved, 409 when it can no longer be
    computed."""
    wanted = (raw or "").strip()
    if not wanted:
        return None
    if not authz.can_read_group():
        abort(403)
    try:
        return group_service.scenario_table(session=get_session(), wanted=wanted, kept=kept_basis())
    except group_service.UnknownScenario as error:
        abort(error_response(404, _("シナリオがありません"), str(error)))
    except group_service.NoGroupFile as error:
        abort(error_response(404, _("グループファイルがありません"), str(error)))
    except group_service.ScenarioError as error:
        abort(error_response(409, _("シナリオを計算できません"), " ".join(error.problems)))
