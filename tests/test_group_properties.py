"""Properties of forming the group (fitgap.domain.group), checked on generated candidates."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fitgap.domain.group.agreement import agreement
from fitgap.domain.group.basis import GroupBasis
from fitgap.domain.group.costs import (
    GroupTerms,
    Split,
    customization_shares,
    share_weights,
    split_yen,
)
from fitgap.domain.group.suggest import suggest
from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.values import Cost, Function, Mark, Requirement, Status, Town

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
C = Status.CUSTOMIZATION

splits = st.integers(0, 100).map(lambda equal: Split(equal=equal, population=100 - equal))


@dataclass
class Candidates:
    """Generated candidate towns, a catalog, their marks and the group's terms."""

    functions: list[Function]
    towns: list[Town]
    cells: dict[tuple[str, str], Mark]
    terms: GroupTerms

    def basis(self) -> GroupBasis:
        return GroupBasis(self.functions, self.towns, self.cells.values(), self.terms)

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.towns]


@st.composite
def candidates(draw: st.DrawFn, *, min_towns: int = 2, max_towns: int = 6) -> Candidates:
    n_towns = draw(st.integers(min_towns, max_towns))
    n_functions = draw(st.integers(1, 10))
    functions = [
        Function(
            id=f"{i:07d}",
            area_id=draw(st.sampled_from(["juki", "kaigo"])),
            name=f"機能{i}",
            requirement=draw(st.sampled_from(list(Requirement))),
            text="…",
        )
        for i in range(n_functions)
    ]
    towns = [
        Town(
            id=f"t{j}",
            name=f"町{j}",
            population=draw(st.integers(1, 60_000)),
            current_annual_yen=draw(st.integers(0, 80)) * 1_000_000,
            migration_yen=draw(st.integers(0, 40)) * 1_000_000,
        )
        for j in range(n_towns)
    ]
    cells: dict[tuple[str, str], Mark] = {}
    for town in towns:
        for function in functions:
            status = draw(st.sampled_from([*Status, None]))
            if status is None:
                continue
            cost = None
            if status is C and draw(st.booleans()):
                cost = Cost(draw(st.integers(0, 20_000_000)), draw(st.integers(0, 3_000_000)))
            cells[(town.id, function.id)] = Mark(town.id, function.id, status, cost=cost)
    terms = GroupTerms(
        name="候補",
        years=draw(st.integers(1, 15)),
        package_initial_yen=draw(st.integers(0, 300_000_000)),
        package_annual_yen=draw(st.integers(0, 80_000_000)),
        split=draw(splits),
    )
    return Candidates(functions, towns, cells, terms)


def subsets(ids: list[str], minimum: int = 1) -> list[tuple[str, ...]]:
    return [c for r in range(minimum, len(ids) + 1) for c in itertools.combinations(ids, r)]


@PROPERTY
@given(
    st.integers(0, 10**12),
    st.lists(st.integers(1, 100_000), min_size=1, max_size=12),
    splits,
)
def test_the_shares_of_a_shared_cost_add_up_to_the_cost_exactly(
    total: int, populations: list[int], split: Split
) -> None:
    shares = split_yen(total, share_weights(split, populations))
    assert sum(shares) == total
    assert all(s >= 0 for s in shares)
    # Each share is its exact rational share, rounded down or up by less than one yen.
    weights = share_weights(split, populations)
    for share, weight in zip(shares, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert exact - 1 < share < exact + 1


def test_the_remainder_goes_to_the_largest_fractions_then_to_the_first_town() -> None:
    # 100 yen between three equal towns: 33.33 each; the one yen left goes to the first.
    assert split_yen(100, [1, 1, 1]) == (34, 33, 33)
    # 10 yen by weights 1:2:2 → 2, 4, 4 exactly; by 1:1:3 → 2, 2, 6 exactly.
    assert split_yen(10, [1, 2, 2]) == (2, 4, 4)
    # 7 yen by 1:3 → 1.75 / 5.25: the larger fraction (.75) takes the yen.
    assert split_yen(7, [1, 3]) == (2, 5)
    # 均等割 30 % + 人口割 70 % of 1,000 yen for populations 1 and 3:
    # 150 + 175 = 325 and 150 + 525 = 675.
    assert split_yen(1000, share_weights(Split(30, 70), [1, 3])) == (325, 675)


@PROPERTY
@given(candidates(), st.data())
def test_every_shared_cost_of_a_subset_is_paid_exactly(
    project: Candidates, data: st.DataObject
) -> None:
    """The package and every estimated customization are paid in full by the subset's towns,
    no yen more or less."""
    chosen = data.draw(st.sampled_from(subsets(project.ids)))
    result = project.basis().evaluate(chosen)
    years = project.terms.years
    assert sum(m.package_yen for m in result.merits) == project.terms.package_yen(years)
    expected = 0
    for function in project.functions:
        estimates = [
            mark.cost.initial_yen + years * mark.cost.annual_yen if mark.cost else None
            for town in chosen
            if (mark := project.cells.get((town, function.id))) is not None and mark.status is C
        ]
        if any(e is not None for e in estimates):
            expected += max(e for e in estimates if e is not None)
    assert sum(m.shared_yen + m.lone_yen for m in result.merits) == expected


@PROPERTY
@given(candidates(), st.data())
def test_a_towns_merit_rises_when_its_lone_customization_becomes_a_workflow_change(
    project: Candidates, data: st.DataObject
) -> None:
    chosen = data.draw(st.sampled_from(subsets(project.ids)))
    town = data.draw(st.sampled_from(chosen))
    lone = [
        f.id
        for f in project.functions
        if (m := project.cells.get((town, f.id))) is not None
        and m.status is C
        and m.cost is not None
        and m.cost != Cost(0, 0)
        and not any(
            (o := project.cells.get((other, f.id))) is not None and o.status is C
            for other in chosen
            if other != town
        )
    ]
    assume(lone)
    function_id = data.draw(st.sampled_from(lone))
    before = project.basis().evaluate(chosen)
    cells = dict(project.cells)
    cells[(town, function_id)] = Mark(town, function_id, Status.WORKFLOW_CHANGE)
    after = replace(project, cells=cells).basis().evaluate(chosen)
    merit = {m.town_id: m.merit_yen for m in before.merits}
    new_merit = {m.town_id: m.merit_yen for m in after.merits}
    assert new_merit[town] > merit[town]
    # The others pay exactly the same: a lone customization is nobody else's cost.
    assert all(new_merit[t] == merit[t] for t in chosen if t != town)


@PROPERTY
@given(candidates(), st.data())
def test_the_subsets_risk_is_the_scoreboards_risk_of_those_towns(
    project: Candidates, data: st.DataObject
) -> None:
    chosen = data.draw(st.sampled_from(subsets(project.ids)))
    result = project.basis().evaluate(chosen)
    towns = [t for t in project.towns if t.id in chosen]
    board = galapagos_risk(project.functions, towns, project.cells.values())
    group = board.group_score(breakdown=False)
    assert result.risk == group.risk
    assert result.divergent == board.divergent_count()
    assert result.customizations == group.customizations
    assert result.violations == group.violations
    assert result.undecided == group.undecided
    for merit in result.merits:
        assert merit.risk == board.town_score(merit.town_id, breakdown=False).risk


@PROPERTY
@given(candidates(min_towns=3), st.data())
def test_removing_a_town_that_customizes_alone_never_raises_the_others_risk(
    project: Candidates, data: st.DataObject
) -> None:
    chosen = list(data.draw(st.sampled_from(subsets(project.ids, minimum=2))))
    # Make one town of the subset a lone customizer: wherever it customizes, nobody else in
    # the subset does.
    leaving = data.draw(st.sampled_from(chosen))
    cells = dict(project.cells)
    for function in project.functions:
        mine = cells.get((leaving, function.id))
        if mine is None or mine.status is not C:
            continue
        for other in chosen:
            theirs = cells.get((other, function.id))
            if other != leaving and theirs is not None and theirs.status is C:
                cells[(other, function.id)] = Mark(other, function.id, Status.FIT)
    project = replace(project, cells=cells)
    basis = project.basis()
    before = {m.town_id: m for m in basis.evaluate(chosen).merits}
    rest = [t for t in chosen if t != leaving]
    after = basis.evaluate(rest)
    for merit in after.merits:
        assert merit.risk <= before[merit.town_id].risk


@PROPERTY
@given(candidates(max_towns=7))
def test_the_agreement_matrix_is_symmetric_with_one_on_the_diagonal(project: Candidates) -> None:
    matrix = agreement(project.basis(), project.ids)
    for a in project.ids:
        assert matrix.rate(a, a) == 1.0
        for b in project.ids:
            assert matrix.rate(a, b) == matrix.rate(b, a)
    assert len(matrix.pairs) == len(project.ids) * (len(project.ids) - 1) // 2
    for pair in matrix.pairs:
        # Against a direct count over the functions (undecided ignored).
        both = same = 0
        for function in project.functions:
            x = project.cells.get((pair.a, function.id))
            y = project.cells.get((pair.b, function.id))
            sx = x.status if x else Status.UNDECIDED
            sy = y.status if y else Status.UNDECIDED
            if Status.UNDECIDED in (sx, sy):
                continue
            both += 1
            same += sx == sy
        assert (pair.both_decided, pair.same) == (both, same)
        assert pair.rate == (same / both if both else None)


@PROPERTY
@given(candidates(max_towns=7))
def test_suggestions_are_exactly_the_subsets_where_every_merit_is_not_negative(
    project: Candidates,
) -> None:
    basis = project.basis()
    brute = {}
    for chosen in subsets(project.ids, minimum=2):
        result = basis.evaluate(chosen)
        if all(m.merit_yen >= 0 for m in result.merits):
            brute[chosen] = (result.risk, result.min_merit_yen)
    found = suggest(basis, project.ids)
    assert {s.town_ids: (s.risk, s.min_merit_yen) for s in found} == brute
    assert len(found) == len(brute)
    risks = [s.risk for s in found]
    assert risks == sorted(risks)


def test_one_build_for_a_shared_customization_the_most_demanding_estimate() -> None:
    shares, known = customization_shares([3_000_000, None, 1_000_000], [1, 1, 1], Split())
    assert known and shares == (1_000_000, 1_000_000, 1_000_000)
    assert customization_shares([None, None], [1, 1], Split()) == ((0, 0), False)
    assert customization_shares([2_000_001], [5], Split(0, 100)) == ((2_000_001,), True)
