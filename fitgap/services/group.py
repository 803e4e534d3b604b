"""Forming the group, for the web page and the command line: the group basis built from the
database (kept per process while no clock moves), one subset's report, and saved scenarios
with their audit records.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from fitgap.domain.group.agreement import Agreement, agreement
from fitgap.domain.group.basis import GroupBasis, GroupError, GroupResult
from fitgap.domain.group.suggest import Suggestion, suggest
from fitgap.domain.group.table import ScenarioTable
from fitgap.domain.group.table import scenario_table as table_of
from fitgap.domain.i18n import _
from fitgap.domain.values import Membership
from fitgap.store import audit as audit_queries
from fitgap.store import clocks as clock_queries
from fitgap.store import group as group_queries
from fitgap.store.group import MAX_SCENARIO_NAME
from fitgap.store.models import GroupScenario

__all__ = [
    "GroupReport",
    "KeptBasis",
    "NoGroupFile",
    "ScenarioError",
    "UnknownScenario",
    "default_towns",
    "delete_scenario",
    "report",
    "save_scenario",
    "scenario_table",
]

KEPT_REPORTS = 16  # reports kept per process (the page polls; scenarios are compared)


class NoGroupFile(Exception):
    """There is no towns/group.yaml loaded: nothing to split."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "グループファイル towns/group.yaml がありません。"
                "作成して fitgap load を実行してください"
            )
        )


class ScenarioError(ValueError):
    """A scenario that cannot be saved, with the reasons in the user's language."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(problems))


class UnknownScenario(LookupError):
    """No saved scenario has this number or name."""

    def __init__(self, wanted: str) -> None:
        self.wanted = wanted
        super().__init__(
            _(
                "保存されたシナリオ「%(name)s」はありません（番号か名前で指定してください）",
                name=wanted,
            )
        )


@dataclass(frozen=True, slots=True)
class GroupReport:
    """Everything the page and `fitgap group` show for one choice of towns."""

    result: GroupResult
    agreement: Agreement
    suggestions: tuple[Suggestion, ...]
    stamp: str


class KeptBasis:
    """The group basis of one app's database, rebuilt when any area clock moves (every mark
    change and catalog load raises one), and the last few reports made from it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: str | None = None
        self._basis: GroupBasis | None = None
        self._reports: OrderedDict[tuple[str, tuple[str, ...], int], GroupReport] = OrderedDict()

    def basis(self, *, session: Session) -> tuple[GroupBasis, str]:
        """The current basis and the clocks' stamp it was built at."""
        terms = group_queries.get_terms(session=session)
        if terms is None:
            raise NoGroupFile
        stamp = clock_queries.clocks(session=session, area_id=None).stamp
        with self._lock:
            if self._basis is not None and self._stamp == stamp and self._basis.terms == terms:
                return self._basis, stamp
        functions, towns, marks = group_queries.basis_input(session=session)
        basis = GroupBasis(functions, towns, marks, terms)
        with self._lock:
            self._basis, self._stamp = basis, stamp
            self._reports.clear()
        return basis, stamp

    def report(
        self, *, session: Session, town_ids: Sequence[str], years: int | None = None
    ) -> GroupReport:
        """The report of these towns over `years` (default: the group file's horizon)."""
        basis, stamp = self.basis(session=session)
        chosen = tuple(basis.towns[j].id for j in basis.indices(town_ids))
        horizon = years or basis.terms.years
        key = (stamp, chosen, horizon)
        with self._lock:
            kept = self._reports.get(key)
            if kept is not None:
                self._reports.move_to_end(key)
                return kept
        made = report(basis, chosen, horizon, stamp)
        with self._lock:
            self._reports[key] = made
            while len(self._reports) > KEPT_REPORTS:
                self._reports.popitem(last=False)
        return made


def report(basis: GroupBasis, town_ids: Sequence[str], years: int, stamp: str = "") -> GroupReport:
    """Merits, risk, agreement and suggestions (subsets of these towns) for one choice."""
    result = basis.evaluate(town_ids, years)
    return GroupReport(
        result=result,
        agreement=agreement(basis, town_ids),
        suggestions=suggest(basis, town_ids, years),
        stamp=stamp,
    )


def scenario_table(
    *, session: Session, wanted: str, kept: KeptBasis | None = None
) -> ScenarioTable:
    """The table of a saved scenario (by number or name) for the minutes and the matrix, over
    its own horizon (or the group file's). UnknownScenario names a scenario that is not saved,
    NoGroupFile says there is no group file, ScenarioError a town the scenario no longer has."""
    scenario = group_queries.find_scenario(session=session, wanted=wanted)
    if scenario is None:
        raise UnknownScenario(wanted)
    basis, _stamp = (kept or KeptBasis()).basis(session=session)
    try:
        result = basis.evaluate(list(scenario.towns), scenario.years or basis.terms.years)
    except GroupError as error:
        raise ScenarioError(
            [_("シナリオ「%(name)s」は計算できません:", name=scenario.name), *error.problems]
        ) from None
    return table_of(scenario.name, result)


def default_towns(basis: GroupBasis) -> list[str]:
    """The members: the group as it stands."""
    return [t.id for t in basis.towns if t.membership is Membership.MEMBER]


def save_scenario(
    *,
    session: Session,
    basis: GroupBasis,
    name: str,
    town_ids: Sequence[str],
    years: int | None,
    actor: audit_queries.Actor,
) -> GroupScenario:
    """Save (or replace) a named choice of towns and audit it; ScenarioError says why not."""
    problems: list[str] = []
    name = name.strip()
    if not name:
        problems.append(_("シナリオ名を入力してください"))
    elif len(name) > MAX_SCENARIO_NAME:
        problems.append(
            _("シナリオ名は %(maximum)s 文字以内にしてください", maximum=MAX_SCENARIO_NAME)
        )
    chosen: list[str] = []
    try:
        chosen = [basis.towns[j].id for j in basis.indices(town_ids)]
    except GroupError as error:
        problems.extend(error.problems)
    if not chosen and not problems:
        problems.append(_("町を一つ以上選んでください"))
    if problems:
        raise ScenarioError(problems)
    scenario = group_queries.save_scenario(
        session=session, name=name, towns=chosen, years=years, created_by=actor.name
    )
    audit_queries.append(
        session=session,
        actor=actor,
        action="group.scenario_saved",
        target=name,
        details={"towns": chosen, "years": years},
    )
    return scenario


def delete_scenario(
    *, session: Session, scenario_id: int, actor: audit_queries.Actor
) -> GroupScenario | None:
    """Remove a saved scenario and audit it (None when there was none)."""
    scenario = group_queries.delete_scenario(session=session, scenario_id=scenario_id)
    if scenario is not None:
        audit_queries.append(
            session=session,
            actor=actor,
            action="group.scenario_deleted",
            target=scenario.name,
            details={"towns": list(scenario.towns)},
        )
    return scenario
