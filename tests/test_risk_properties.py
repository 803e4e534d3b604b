"""Properties of the Galapagos risk (docs/galapagos-risk.md), checked on generated projects."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.risk.cost import CostSplit, cost_lens
from fitgap.domain.risk.divergence import DivergenceKind
from fitgap.domain.risk.report import to_contract_json
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.values import Function, Mark, Requirement, Status
from tests.strategies import PROPERTY, Project, all_scores, projects

C = Status.CUSTOMIZATION
NOT_CUSTOMIZATION = [Status.FIT, Status.WORKFLOW_CHANGE, Status.NOT_APPLICABLE, Status.UNDECIDED]


def risks(board: Scoreboard) -> list[float]:
    return [score.risk for score in all_scores(board)]


# -- no customization, no risk ----------------------------------------------------------------


@PROPERTY
@given(projects(statuses=[*NOT_CUSTOMIZATION, None]))
def test_without_customization_every_risk_is_zero(project: Project) -> None:
    board = project.board()
    assert all(risk == 0.0 for risk in risks(board))
    assert all(not score.contributions for score in all_scores(board))
    assert board.best_asks() == ()


@PROPERTY
@given(projects(), st.data())
def test_verdicts_other_than_customization_add_nothing(
    project: Project, data: st.DataObject
) -> None:
    board = project.board()
    town = data.draw(st.sampled_from(project.towns))
    function = data.draw(st.sampled_from(project.functions))
    mark = project.cells.get((town.id, function.id))
    old = mark.status if mark is not None else Status.UNDECIDED
    if old is C:
        return
    new = data.draw(st.sampled_from(NOT_CUSTOMIZATION))
    changed = project.with_status(town.id, function.id, new).board()
    assert risks(changed) == risks(board)


# -- range and determinism --------------------------------------------------------------------


@PROPERTY
@given(projects(), st.randoms(use_true_random=False))
def test_risks_lie_in_0_100_and_the_same_input_gives_the_same_output(
    project: Project, rng: random.Random
) -> None:
    board = project.board()
    assert all(0.0 <= risk <= 100.0 for risk in risks(board))
    shuffled = project.marks
    rng.shuffle(shuffled)
    again = galapagos_risk(project.functions, project.towns, shuffled)
    assert to_contract_json(again, asks=1000) == to_contract_json(board, asks=1000)
    assert all_scores(again) == all_scores(board)
    assert cost_lens(again) == cost_lens(board)


@PROPERTY
@given(
    projects(), st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7), st.sampled_from(Status)))
)
def test_an_incremental_update_equals_a_full_recompute(
    project: Project, changes: list[tuple[int, int, Status]]
) -> None:
    board = project.board()
    for town_index, function_index, status in changes:
        town = project.towns[town_index % len(project.towns)]
        function = project.functions[function_index % len(project.functions)]
        board = board.with_mark(Mark(town.id, function.id, status))
        project = project.with_status(town.id, function.id, status)
    rebuilt = project.board()
    assert all_scores(board) == all_scores(rebuilt)
    assert board.divergences() == rebuilt.divergences()
    divergent = sum(1 for d in rebuilt.divergences() if d.divergent)
    assert board.divergent_count() == rebuilt.divergent_count() == divergent
    listed = [s for s in rebuilt.function_scores() if s.divergence.divergent or s.risk > 0]
    listed.sort(key=lambda s: (not s.divergence.violation, -s.risk, s.id))
    assert board.to_discuss(limit=3) == (tuple(listed[:3]), len(listed))
    assert board.best_asks() == rebuilt.best_asks()
    assert to_contract_json(board) == to_contract_json(rebuilt)


# -- sharing ----------------------------------------------------------------------------------


@PROPERTY
@given(projects(min_towns=2), st.data())
def test_a_lone_customization_weighs_more_than_one_every_town_shares(
    project: Project, data: st.DataObject
) -> None:
    town = data.draw(st.sampled_from(project.towns))
    function = data.draw(st.sampled_from(project.functions))
    alone = project.with_status(town.id, function.id, C)
    shared = project.with_status(town.id, function.id, C)
    for other in project.towns:
        if other.id != town.id:
            verdict = data.draw(st.sampled_from(NOT_CUSTOMIZATION))
            alone = alone.with_status(other.id, function.id, verdict)
            shared = shared.with_status(other.id, function.id, C)

    def weight(board: Scoreboard) -> int:
        (item,) = [c for c in board.breakdown(function_id=function.id) if c.town_id == town.id]
        return item.units

    alone_board, shared_board = alone.board(), shared.board()
    assert weight(alone_board) > weight(shared_board)
    assert alone_board.town_score(town.id).risk > shared_board.town_score(town.id).risk


@PROPERTY
@given(projects(), st.data())
def test_turning_a_lone_customization_into_a_workflow_change(
    project: Project, data: st.DataObject
) -> None:
    town = data.draw(st.sampled_from(project.towns))
    function = data.draw(st.sampled_from(project.functions))
    lone = project.with_status(town.id, function.id, C)
    for other in project.towns:
        mark = project.cells.get((other.id, function.id))
        if other.id != town.id and mark is not None and mark.status is C:
            lone = lone.with_status(
                other.id, function.id, data.draw(st.sampled_from(NOT_CUSTOMIZATION))
            )
    before = lone.board()
    assert before.divergence(function.id).customizing_towns == (town.id,)
    after = before.with_mark(Mark(town.id, function.id, Status.WORKFLOW_CHANGE))

    assert after.group_score().risk < before.group_score().risk
    assert after.area_score(function.area_id).risk < before.area_score(function.area_id).risk
    assert after.town_score(town.id).risk < before.town_score(town.id).risk
    for other in project.towns:
        if other.id != town.id:
            assert after.town_score(other.id).risk <= before.town_score(other.id).risk
            for area_id in before.area_ids:
                assert (
                    after.town_score(other.id, area_id).risk
                    <= before.town_score(other.id, area_id).risk
                )


@PROPERTY
@given(projects())
def test_every_customization_dropped_lowers_the_group_risk(project: Project) -> None:
    # Not only a lone one: fewer customizations always means a lower group risk.
    board = project.board()
    before = board.group_score().risk
    for ask in board.customization_asks():
        after = board.with_mark(Mark(ask.town_id or "", ask.function_id, Status.WORKFLOW_CHANGE))
        assert after.group_score().risk < before
        assert math.isclose(before - after.group_score().risk, ask.group_drop, abs_tol=1e-9)


@PROPERTY
@given(projects())
def test_a_functions_risk_is_zero_exactly_when_no_town_customizes_it(project: Project) -> None:
    board = project.board()
    for score in board.function_scores():
        nobody = all(status is not C for status in score.statuses.values())
        assert (score.risk == 0.0) == nobody
        assert (score.risk == 0.0) == (not score.divergence.customizing_towns)


# -- violations -------------------------------------------------------------------------------


@PROPERTY
@given(projects())
def test_a_prohibited_customization_is_a_violation_and_outweighs_any_other(
    project: Project,
) -> None:
    # Add the two extreme cases to whatever was generated: a prohibited function every town
    # customizes (its lightest possible weight) and a mandatory one a single town customizes
    # (the heaviest possible weight of a permitted function).
    extra = [
        Function("9999998", "area-0", "x", Requirement.PROHIBITED, ""),
        Function("9999999", "area-0", "x", Requirement.MANDATORY, ""),
    ]
    marks = [*project.marks, Mark(project.towns[0].id, "9999999", C)]
    marks += [Mark(town.id, "9999998", C) for town in project.towns]
    board = galapagos_risk([*project.functions, *extra], project.towns, marks)

    contributions = board.breakdown()
    prohibited = [c.units for c in contributions if c.violation]
    permitted = [c.units for c in contributions if not c.violation]
    assert min(prohibited) > max(permitted)

    violations = 0
    json_functions = {f["id"]: f for f in to_contract_json(board)["functions"]}
    for score in board.function_scores():
        flagged = score.requirement is Requirement.PROHIBITED and score.customizations > 0
        assert score.divergence.violation == flagged
        assert (score.divergence.kind is DivergenceKind.VIOLATION) == flagged
        assert json_functions[score.id]["violation"] == flagged
        violations += score.customizations if flagged else 0
    assert board.group_score().violations == violations
    assert sum(t.violations for t in board.town_scores()) == violations


@PROPERTY
@given(projects(), st.data())
def test_a_violation_reads_and_ranks_above_every_permitted_customization_at_every_level(
    project: Project, data: st.DataObject
) -> None:
    # Whatever was generated, a score with a violation lies above 50 and one without at or
    # below it: for functions, towns (overall and per area), areas and the group alike.
    board = project.board()
    for score in all_scores(board):
        assert (score.risk > 50.0) == (score.violations > 0)
        violations = [c.points for c in score.contributions if c.violation]
        permitted = [c.points for c in score.contributions if not c.violation]
        if violations and permitted:
            assert min(violations) > max(permitted)
    # One lone violation outranks any pile of permitted customizations: the worst permitted
    # function (every town customizes it) and a town customizing every permitted function.
    extra = [
        Function("9999998", "area-0", "x", Requirement.PROHIBITED, ""),
        Function("9999999", "area-0", "x", Requirement.MANDATORY, ""),
    ]
    lone = data.draw(st.sampled_from(project.towns))
    marks = [m for m in project.marks if m.status is not C]
    marks += [Mark(town.id, "9999999", C) for town in project.towns]
    marks += [
        Mark(town.id, f.id, C)
        for town in project.towns
        for f in project.functions
        if f.requirement is not Requirement.PROHIBITED
    ]
    marks.append(Mark(lone.id, "9999998", C))
    worst = galapagos_risk([*project.functions, *extra], project.towns, marks)
    functions = {s.id: s.risk for s in worst.function_scores()}
    assert functions["9999998"] > max(r for f, r in functions.items() if f != "9999998")
    towns = {t.id: t.risk for t in worst.town_scores()}
    assert all(towns[lone.id] > r for t, r in towns.items() if t != lone.id)
    assert worst.group_score().risk > 50.0
    # The ask that removes the last violation comes first and takes the group below 50.
    first = worst.best_asks(limit=1)[0]
    assert (first.function_id, first.town_id) == ("9999998", lone.id)
    fixed = worst.with_mark(Mark(lone.id, "9999998", Status.WORKFLOW_CHANGE))
    assert fixed.group_score().risk <= 50.0


# -- breakdown --------------------------------------------------------------------------------


@PROPERTY
@given(projects())
def test_every_score_comes_with_the_contributions_that_add_up_to_it(project: Project) -> None:
    board = project.board()
    for score in all_scores(board):
        assert sum(c.units for c in score.contributions) == score.units
        assert math.isclose(
            sum(c.points for c in score.contributions), score.risk, rel_tol=1e-9, abs_tol=1e-9
        )
        assert all(c.points > 0 for c in score.contributions)


# -- steering and cost ------------------------------------------------------------------------


@PROPERTY
@given(projects())
def test_best_asks_are_ranked_deterministically(project: Project) -> None:
    asks = project.board().best_asks()
    keys = [(-a.group_drop, a.function_id, a.town_id or "") for a in asks]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@PROPERTY
@given(projects(), st.sampled_from(CostSplit))
def test_shared_costs_are_split_without_loss(project: Project, split: CostSplit) -> None:
    lens = cost_lens(project.board(), split)
    assert math.isclose(sum(t.ten_year_yen for t in lens.towns), lens.total_yen, abs_tol=1e-3)
    for item in lens.customizations:
        if item.share_yen is not None and item.shared_cost_yen is not None:
            assert 0 <= item.share_yen <= item.shared_cost_yen
            assert item.group_saving_yen is None or item.group_saving_yen >= 0
