"""Reads and writes for forming the group: the group file's terms, every town with its group
keys, the catalog and all marks for the group basis, and the saved scenarios."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlmodel import Session

from fitgap.domain import values as domain
from fitgap.domain.group.costs import GroupTerms as DomainTerms
from fitgap.domain.group.costs import Split
from fitgap.store.catalog import list_all_towns
from fitgap.store.models import CatalogFunction, GroupScenario, GroupTerms, Mark, Town

_function = CatalogFunction.__table__  # type: ignore[attr-defined]
_mark = Mark.__table__  # type: ignore[attr-defined]
_town = Town.__table__  # type: ignore[attr-defined]
_scenario = GroupScenario.__table__  # type: ignore[attr-defined]

MAX_SCENARIO_NAME = 100


def save_terms(*, session: Session, terms: DomainTerms | None) -> None:
    """Keep the group file's terms (None: there is no group file any more)."""
    session.execute(delete(GroupTerms))
    if terms is not None:
        session.add(
            GroupTerms(
                id=1,
                name=terms.name,
                years=terms.years,
                package_initial_yen=terms.package_initial_yen,
                package_annual_yen=terms.package_annual_yen,
                split_equal=terms.split.equal,
                split_population=terms.split.population,
            )
        )
        session.flush()


def get_terms(*, session: Session) -> DomainTerms | None:
    """The group's terms as last loaded, or None without a group file."""
    row = session.get(GroupTerms, 1)
    if row is None:
        return None
    return DomainTerms(
        name=row.name,
        years=row.years,
        package_initial_yen=row.package_initial_yen,
        package_annual_yen=row.package_annual_yen,
        split=Split(equal=row.split_equal, population=row.split_population),
    )


def domain_town(row: Town) -> domain.Town:
    """A stored town as the domain's value, with its group keys."""
    return domain.Town(
        id=row.id,
        name=row.name,
        prefecture=row.prefecture,
        population=row.population,
        households=row.households,
        budget_yen=row.budget_yen,
        area_km2=row.area_km2,
        code=row.code,
        current_annual_yen=row.current_annual_yen,
        migration_yen=row.migration_yen,
        membership=domain.Membership(row.membership),
        left_since=row.left_since,
        left_reason=row.left_reason,
    )


def all_towns(*, session: Session) -> list[domain.Town]:
    """Every town of the files (members, candidates, towns that left), in file order."""
    return [domain_town(row) for row in list_all_towns(session=session)]


def basis_input(
    *, session: Session
) -> tuple[list[domain.Function], list[domain.Town], list[domain.Mark]]:
    """The current catalog's functions (id, area, class), every town and every mark of theirs:
    what the group basis is built from. Lean on purpose: 600,000 marks at full scale."""
    functions = [
        domain.Function(
            id=row[0], area_id=row[1], name="", requirement=domain.Requirement(row[2]), text=""
        )
        for row in session.execute(
            select(_function.c.id, _function.c.area_id, _function.c.requirement)
            .where(_function.c.archived_at.is_(None))
            .order_by(_function.c.area_id, _function.c.position, _function.c.id)
        )
    ]
    towns = all_towns(session=session)
    statuses = {s.value: s for s in domain.Status}
    marks = [
        domain.Mark(
            town_id=row[0],
            function_id=row[1],
            status=statuses.get(row[2], domain.Status.UNDECIDED),
            cost=domain.Cost.of(row[3], row[4])
            if row[3] is not None or row[4] is not None
            else None,
        )
        for row in session.execute(
            select(
                _mark.c.town_id,
                _mark.c.function_id,
                _mark.c.status,
                _mark.c.cost_initial_yen,
                _mark.c.cost_annual_yen,
            )
        )
    ]
    return functions, towns, marks


def list_scenarios(*, session: Session) -> list[GroupScenario]:
    """The saved scenarios, oldest first."""
    statement = select(GroupScenario).order_by(_scenario.c.created_at, _scenario.c.id)
    return list(session.scalars(statement))


def get_scenario(*, session: Session, scenario_id: int) -> GroupScenario | None:
    """One saved scenario."""
    return session.get(GroupScenario, scenario_id)


def find_scenario(*, session: Session, wanted: str) -> GroupScenario | None:
    """A saved scenario by its number or, failing that, its name (None: no such scenario)."""
    wanted = wanted.strip()
    if wanted.isascii() and wanted.isdigit() and len(wanted) <= 9:
        found = session.get(GroupScenario, int(wanted))
        if found is not None:
            return found
    if "\x00" in wanted or len(wanted) > MAX_SCENARIO_NAME:
        return None  # no saved name is like it (and PostgreSQL refuses a NUL in a query)
    return session.scalars(select(GroupScenario).where(_scenario.c.name == wanted)).first()


def save_scenario(
    *, session: Session, name: str, towns: Sequence[str], years: int | None, created_by: str
) -> GroupScenario:
    """Save a choice of towns under a name; the same name replaces the earlier choice."""
    scenario = session.scalars(select(GroupScenario).where(_scenario.c.name == name)).first()
    if scenario is None:
        scenario = GroupScenario(name=name, towns=list(towns), years=years, created_by=created_by)
    else:
        scenario.towns = list(towns)
        scenario.years = years
        scenario.created_by = created_by
    session.add(scenario)
    session.flush()
    return scenario


def delete_scenario(*, session: Session, scenario_id: int) -> GroupScenario | None:
    """Remove a saved scenario; returns it (None when there was none)."""
    scenario = session.get(GroupScenario, scenario_id)
    if scenario is not None:
        session.delete(scenario)
        session.flush()
    return scenario
