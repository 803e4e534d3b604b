"""Building a scoreboard: the catalog and towns indexed, each function's row built and the
rows grouped by area. `galapagos_risk` builds from marks; `risk.columns.from_columns` from the
marks' arrays; both end in `assemble`, so the two paths cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fitgap.domain.i18n import _
from fitgap.domain.risk.divergence import CLASS_WEIGHTS, area_totals, build_row
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import FunctionLike, TownLike
from fitgap.domain.values import Mark, Requirement, Status


def galapagos_risk(
    functions: Iterable[FunctionLike], towns: Iterable[TownLike], marks: Iterable[Mark]
) -> Scoreboard:
    """Score the catalog's functions for the towns and their marks (no mark means undecided)."""
    function_list, town_list, function_index, town_index = indexed(functions, towns)
    n = len(town_list)
    status_rows = [[Status.UNDECIDED] * n for _i in function_list]
    mark_rows: list[list[Mark | None]] = [[None] * n for _i in function_list]
    for mark in marks:
        # Marks of functions no longer in the catalog, or of towns not taking part, do not
        # count; a later mark for the same cell replaces an earlier one.
        row = function_index.get(mark.function_id)
        column = town_index.get(mark.town_id)
        if row is None or column is None:
            continue
        status_rows[row][column] = mark.status
        mark_rows[row][column] = mark
    return assemble(
        function_list,
        town_list,
        function_index,
        town_index,
        list(zip(status_rows, mark_rows, strict=True)),
    )


def indexed(
    functions: Iterable[FunctionLike], towns: Iterable[TownLike]
) -> tuple[tuple[FunctionLike, ...], tuple[TownLike, ...], dict[str, int], dict[str, int]]:
    """The catalog and the towns with their id → position maps; a repeated id is an error."""
    function_list = tuple(functions)
    town_list = tuple(towns)
    function_index: dict[str, int] = {}
    for i, function in enumerate(function_list):
        if function.id in function_index:
            raise ValueError(_("機能ID %(id)s が重複しています。", id=function.id))
        function_index[function.id] = i
    town_index: dict[str, int] = {}
    for j, town in enumerate(town_list):
        if town.id in town_index:
            raise ValueError(_("町ID %(id)s が重複しています。", id=town.id))
        town_index[town.id] = j
    return function_list, town_list, function_index, town_index


def assemble(
    function_list: tuple[FunctionLike, ...],
    town_list: tuple[TownLike, ...],
    function_index: dict[str, int],
    town_index: dict[str, int],
    cells: Sequence[tuple[Sequence[Status], Sequence[Mark | None]]],
) -> Scoreboard:
    """The scoreboard of each function's statuses and marks (in catalog and town order):
    rows weighted by class, grouped by area. galapagos_risk and risk.columns both end here."""
    n = len(town_list)
    area_index: dict[str, int] = {}
    area_functions: list[list[int]] = []
    fn_area: list[int] = []
    for i, function in enumerate(function_list):
        a = area_index.get(function.area_id)
        if a is None:
            a = area_index[function.area_id] = len(area_functions)
            area_functions.append([])
        area_functions[a].append(i)
        fn_area.append(a)
    weights = tuple(CLASS_WEIGHTS[f.requirement] for f in function_list)
    prohibited = tuple(f.requirement is Requirement.PROHIBITED for f in function_list)
    rows = [
        build_row(list(statuses), marks, weights[i], prohibited[i], n)
        for i, (statuses, marks) in enumerate(cells)
    ]
    areas = [area_totals(tuple(fs), rows, weights, prohibited, n) for fs in area_functions]
    return Scoreboard(
        functions=function_list,
        towns=town_list,
        rows=rows,
        areas=areas,
        area_ids=tuple(area_index),
        fn_area=tuple(fn_area),
        weights=weights,
        prohibited=prohibited,
        function_index=function_index,
        town_index=town_index,
    )
