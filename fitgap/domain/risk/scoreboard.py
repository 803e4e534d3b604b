"""Divergence and Galapagos risk: how far the towns of a joint project drift from the standard.

The formula is documented in docs/galapagos-risk.md. In short, with n towns and m of them
customizing a function of class weight c, each customizing town adds c × (2n − m) "units"
(its weight c × (1 + (n − m)/n), counted in 1/n steps so that every sum is an exact integer),
and every score is 100 × its units / the largest number of units its cells could reach.

This module holds the Scoreboard and galapagos_risk, which builds it. Beside it in the
package: divergence (the rows and area sums it is built from), scores (the values it answers
with), steering (asks, evidence, explanations), cost (the 10-year cost lens) and report (the
JSON and text output). Pure Python: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from fitgap.domain.risk import steering
from fitgap.domain.risk.divergence import (
    VIOLATION_BAND,
    AreaTotals,
    DivergenceKind,
    Row,
    apply_mark,
    risk_of,
)
from fitgap.domain.risk.scores import (
    AreaScore,
    BestAsk,
    Contribution,
    Divergence,
    Evidence,
    FunctionLike,
    FunctionScore,
    GroupScore,
    StatusCounts,
    TownLike,
    TownScore,
    UnknownAreaError,
)
from fitgap.domain.values import Mark


def _counts(values: Iterable[Sequence[int]]) -> StatusCounts:
    total = [0, 0, 0, 0, 0]
    for value in values:
        for k in range(5):
            total[k] += value[k]
    return StatusCounts(*total)


def _name(item: object, fallback: str) -> str:
    name = getattr(item, "name", None)
    return name if isinstance(name, str) and name else fallback


class Scoreboard:
    """Galapagos risk of every function, town, area and of the group; build with galapagos_risk."""

    __slots__ = (
        "_area_ids",
        "_area_index",
        "_areas",
        "_fn_area",
        "_function_index",
        "_functions",
        "_prohibited",
        "_rows",
        "_town_ids",
        "_town_index",
        "_town_names",
        "_towns",
        "_weights",
    )

    def __init__(
        self,
        *,
        functions: tuple[FunctionLike, ...],
        towns: tuple[TownLike, ...],
        rows: list[Row],
        areas: list[AreaTotals],
        area_ids: tuple[str, ...],
        fn_area: tuple[int, ...],
        weights: tuple[int, ...],
        prohibited: tuple[bool, ...],
        function_index: dict[str, int],
        town_index: dict[str, int],
    ) -> None:
        self._functions = functions
        self._towns = towns
        self._rows = rows
        self._areas = areas
        self._area_ids = area_ids
        self._area_index = {a: k for k, a in enumerate(area_ids)}
        self._fn_area = fn_area
        self._weights = weights
        self._prohibited = prohibited
        self._function_index = function_index
        self._town_index = town_index
        self._town_ids = tuple(t.id for t in towns)
        self._town_names = tuple(_name(t, t.id) for t in towns)

    # -- shape -----------------------------------------------------------------------------

    @property
    def n_towns(self) -> int:
        """How many towns take part."""
        return len(self._towns)

    @property
    def town_ids(self) -> tuple[str, ...]:
        """The towns' ids, in input order."""
        return self._town_ids

    @property
    def area_ids(self) -> tuple[str, ...]:
        """The areas' ids, in order of their first function in the catalog."""
        return self._area_ids

    @property
    def towns(self) -> tuple[TownLike, ...]:
        """The towns as given."""
        return self._towns

    @property
    def functions(self) -> tuple[FunctionLike, ...]:
        """The catalog functions as given."""
        return self._functions

    def town_name(self, town_id: str) -> str:
        """The town's display name (its id when it has none)."""
        return self._town_names[self._town_index[town_id]]

    def mark(self, town_id: str, function_id: str) -> Mark | None:
        """The town's mark on the function, or None when it has none (undecided)."""
        return self._rows[self._function_index[function_id]].marks[self._town_index[town_id]]

    # -- incremental update ----------------------------------------------------------------

    def with_mark(self, mark: Mark) -> Scoreboard:
        """A new scoreboard with this mark replacing the town's mark on that function."""
        return self.with_marks((mark,))

    def with_marks(self, marks: Iterable[Mark]) -> Scoreboard:
        """A new scoreboard with these marks applied in order."""
        rows: list[Row] | None = None
        areas: list[AreaTotals] | None = None
        for mark in marks:
            i = self._function_index.get(mark.function_id)
            j = self._town_index.get(mark.town_id)
            if i is None or j is None:
                # Same rule as galapagos_risk: marks outside the catalog or the towns do not
                # count.
                continue
            if rows is None or areas is None:
                # Copied once for the whole batch, so that replaying a long history (the
                # dashboard's progress) costs one copy per batch, not one per mark.
                rows = list(self._rows)
                areas = list(self._areas)
            apply_mark(
                rows,
                areas,
                i,
                j,
                mark,
                weight=self._weights[i],
                area=self._fn_area[i],
                prohibited=self._prohibited[i],
                n=len(self._towns),
            )
        if rows is None or areas is None:
            return self
        return Scoreboard(
            functions=self._functions,
            towns=self._towns,
            rows=rows,
            areas=areas,
            area_ids=self._area_ids,
            fn_area=self._fn_area,
            weights=self._weights,
            prohibited=self._prohibited,
            function_index=self._function_index,
            town_index=self._town_index,
        )

    # -- scopes ----------------------------------------------------------------------------

    def _scope(self, area_id: str | None) -> Sequence[AreaTotals]:
        if area_id is None:
            return self._areas
        a = self._area_index.get(area_id)
        if a is None:
            raise UnknownAreaError(area_id)
        return (self._areas[a],)

    def _scope_functions(self, area_id: str | None) -> Iterable[int]:
        if area_id is None:
            return range(len(self._functions))
        return self._scope(area_id)[0].functions

    def _group_max(self, scope: Sequence[AreaTotals]) -> int:
        n = len(self._towns)
        # Worst case for the group: every town customizes every function (then m = n).
        return n * n * sum(area.class_sum for area in scope)

    def _town_max(self, scope: Sequence[AreaTotals]) -> int:
        n = len(self._towns)
        # Worst case for one town: it customizes every function, each time alone (m = 1).
        return (2 * n - 1) * sum(area.class_sum for area in scope)

    def _cells(self, functions: Iterable[int], town: int | None = None) -> list[tuple[int, int]]:
        """The (function, town) cells of the scope that are customizations."""
        rows = self._rows
        found: list[tuple[int, int]] = []
        for i in functions:
            customizers = rows[i].customizers
            if not customizers:
                continue
            if town is None:
                found.extend((i, j) for j in customizers)
            elif town in customizers:
                found.append((i, town))
        return found

    def _contributions(
        self,
        cells: Sequence[tuple[int, int]],
        max_units: int,
        violation_units: int | None = None,
    ) -> tuple[Contribution, ...]:
        rows = self._rows
        n = len(self._towns)
        prohibited = self._prohibited
        # The violation band's 50 points belong to the violations, in proportion to their
        # units, so that the points still add up to the score (the score's violations are
        # these cells' unless the caller names their units).
        if violation_units is None:
            violation_units = sum(rows[i].unit for i, _j in cells if prohibited[i])
        found: list[Contribution] = []
        for i, j in cells:
            row = rows[i]
            function = self._functions[i]
            points = risk_of(row.unit, max_units)
            if prohibited[i]:
                points += VIOLATION_BAND * row.unit / violation_units
            found.append(
                Contribution(
                    town_id=self._town_ids[j],
                    town_name=self._town_names[j],
                    function_id=function.id,
                    area_id=function.area_id,
                    requirement=function.requirement,
                    sharing=len(row.customizers),
                    n_towns=n,
                    units=row.unit,
                    points=points,
                )
            )
        found.sort(key=lambda c: (-c.units, c.function_id, c.town_id))
        return tuple(found)

    # -- scores ----------------------------------------------------------------------------
    # Scores carry their contributions by default; breakdown=False leaves them empty, for
    # callers that only print the numbers of a large board.

    def group_score(self, area_id: str | None = None, *, breakdown: bool = True) -> GroupScore:
        """The group's risk over all functions, or over one area's functions."""
        scope = self._scope(area_id)
        units = sum(sum(area.town_units) for area in scope)
        max_units = self._group_max(scope)
        violations = sum(sum(area.town_violations) for area in scope)
        contributions = (
            self._contributions(self._cells(self._scope_functions(area_id)), max_units)
            if breakdown
            else ()
        )
        return GroupScore(
            risk=risk_of(units, max_units, violations > 0),
            units=units,
            max_units=max_units,
            counts=_counts(c for area in scope for c in area.town_counts),
            violations=violations,
            contributions=contributions,
            area_id=area_id,
            n_towns=len(self._towns),
            n_functions=sum(len(area.functions) for area in scope),
        )

    def town_score(
        self, town_id: str, area_id: str | None = None, *, breakdown: bool = True
    ) -> TownScore:
        """One town's risk over all functions, or over one area's functions."""
        j = self._town_index[town_id]
        scope = self._scope(area_id)
        contributions = (
            self._contributions(
                self._cells(self._scope_functions(area_id), j), self._town_max(scope)
            )
            if breakdown
            else ()
        )
        return self._town_score(j, scope, area_id, contributions)

    def _town_score(
        self,
        j: int,
        scope: Sequence[AreaTotals],
        area_id: str | None,
        contributions: tuple[Contribution, ...],
    ) -> TownScore:
        units = sum(area.town_units[j] for area in scope)
        max_units = self._town_max(scope)
        violations = sum(area.town_violations[j] for area in scope)
        return TownScore(
            risk=risk_of(units, max_units, violations > 0),
            units=units,
            max_units=max_units,
            counts=_counts(area.town_counts[j] for area in scope),
            violations=violations,
            contributions=contributions,
            id=self._town_ids[j],
            name=self._town_names[j],
            area_id=area_id,
        )

    def town_scores(
        self, area_id: str | None = None, *, breakdown: bool = True
    ) -> tuple[TownScore, ...]:
        """Every town's score, in input order."""
        scope = self._scope(area_id)
        by_town: list[list[tuple[int, int]]] = [[] for _j in self._towns]
        if breakdown:
            # One pass over the scope for all towns, not one per town.
            for cell in self._cells(self._scope_functions(area_id)):
                by_town[cell[1]].append(cell)
        town_max = self._town_max(scope)
        return tuple(
            self._town_score(j, scope, area_id, self._contributions(by_town[j], town_max))
            for j in range(len(self._towns))
        )

    def area_score(self, area_id: str, *, breakdown: bool = True) -> AreaScore:
        """One area's risk: all towns over that area's functions."""
        area = self._scope(area_id)[0]
        group = self.group_score(area_id, breakdown=breakdown)
        return AreaScore(
            risk=group.risk,
            units=group.units,
            max_units=group.max_units,
            counts=group.counts,
            violations=group.violations,
            contributions=group.contributions,
            id=area_id,
            n_functions=len(area.functions),
        )

    def area_scores(self, *, breakdown: bool = True) -> tuple[AreaScore, ...]:
        """Every area's score, in catalog order."""
        return tuple(self.area_score(area_id, breakdown=breakdown) for area_id in self._area_ids)

    def in_group(
        self, function_ids: Iterable[str], area_id: str | None = None
    ) -> dict[str, tuple[Contribution, ...]]:
        """These functions' contributions as counted in the group's score (or the area's):
        the same points as the group's breakdown, without building all of it."""
        scope = self._scope(area_id)
        rows, prohibited = self._rows, self._prohibited
        violation_units = sum(
            rows[i].unit * len(rows[i].customizers)
            for i in self._scope_functions(area_id)
            if prohibited[i] and rows[i].customizers
        )
        found: dict[str, tuple[Contribution, ...]] = {}
        for function_id in function_ids:
            cells = self._cells((self._function_index[function_id],))
            found[function_id] = self._contributions(cells, self._group_max(scope), violation_units)
        return found

    def _function_risk(self, i: int) -> float:
        row = self._rows[i]
        n = len(self._towns)
        violation = self._prohibited[i] and bool(row.customizers)
        return risk_of(row.unit * len(row.customizers), self._weights[i] * n * n, violation)

    def _function_score(self, i: int) -> FunctionScore:
        row = self._rows[i]
        function = self._functions[i]
        n = len(self._towns)
        # Worst case for a function: every town customizes it (each then adds class × n).
        max_units = self._weights[i] * n * n
        units = row.unit * len(row.customizers)
        violation = self._prohibited[i] and bool(row.customizers)
        return FunctionScore(
            risk=risk_of(units, max_units, violation),
            units=units,
            max_units=max_units,
            counts=StatusCounts(*row.counts),
            violations=len(row.customizers) if self._prohibited[i] else 0,
            contributions=self._contributions(self._cells((i,)), max_units),
            id=function.id,
            area_id=function.area_id,
            requirement=function.requirement,
            statuses=dict(zip(self._town_ids, row.statuses, strict=True)),
            divergence=self._divergence(i),
        )

    def function_score(self, function_id: str) -> FunctionScore:
        """One function's risk, verdicts and divergence."""
        return self._function_score(self._function_index[function_id])

    def function_scores(self, area_id: str | None = None) -> tuple[FunctionScore, ...]:
        """Every function's score in catalog order, or one area's."""
        return tuple(self._function_score(i) for i in self._scope_functions(area_id))

    def _divergence(self, i: int) -> Divergence:
        row = self._rows[i]
        return Divergence(
            function_id=self._functions[i].id,
            kind=row.kind,
            divergent=row.divergent,
            violation=row.kind is DivergenceKind.VIOLATION,
            customizing_towns=tuple(self._town_ids[j] for j in row.customizers),
        )

    def divergence(self, function_id: str) -> Divergence:
        """How the towns' verdicts on one function differ."""
        return self._divergence(self._function_index[function_id])

    def divergences(self, area_id: str | None = None) -> tuple[Divergence, ...]:
        """Every function's divergence in catalog order, or one area's."""
        return tuple(self._divergence(i) for i in self._scope_functions(area_id))

    def to_discuss(
        self, area_id: str | None = None, *, limit: int
    ) -> tuple[tuple[FunctionScore, ...], int]:
        """The functions to discuss first (the towns decided differently, or it carries risk):
        violations, then the highest risk, then by id; the first `limit` and how many in all.
        Only those shown are scored in full, so the whole project's list stays cheap."""
        found = []
        for i in self._scope_functions(area_id):
            row = self._rows[i]
            risk = self._function_risk(i)
            if row.divergent or risk > 0:
                violation = row.kind is DivergenceKind.VIOLATION
                found.append((not violation, -risk, self._functions[i].id, i))
        found.sort()
        return tuple(self._function_score(key[3]) for key in found[:limit]), len(found)

    def divergent_count(self, area_id: str | None = None) -> int:
        """How many functions the towns decided differently (cheaper than `divergences`)."""
        rows = self._rows
        return sum(1 for i in self._scope_functions(area_id) if rows[i].divergent)

    def breakdown(
        self,
        *,
        town_id: str | None = None,
        area_id: str | None = None,
        function_id: str | None = None,
    ) -> tuple[Contribution, ...]:
        """The contributions adding up to a score: group, area, town (in an area) or function."""
        if function_id is not None:
            return self.function_score(function_id).contributions
        if town_id is not None:
            return self.town_score(town_id, area_id).contributions
        return self.group_score(area_id).contributions

    # -- steering --------------------------------------------------------------------------

    def evidence(self, function_id: str, town_id: str | None = None) -> tuple[Evidence, ...]:
        """The other towns that fit or change their workflow on this function, with their notes."""
        row = self._rows[self._function_index[function_id]]
        skip = self._town_index[town_id] if town_id is not None else -1
        return steering.evidence(row, self._town_ids, skip)

    def _ask_keys(
        self, area_id: str | None, *, singles: bool, groups: int | None
    ) -> list[steering.AskKey]:
        scope = self._scope(area_id)
        return steering.ask_keys(
            self._rows,
            self._functions,
            self._weights,
            self._town_ids,
            self._scope_functions(area_id),
            singles=singles,
            groups=groups,
            group_max=self._group_max(scope),
            violations=sum(sum(area.town_violations) for area in scope),
        )

    def _asks(self, area_id: str | None, keys: Iterable[steering.AskKey]) -> tuple[BestAsk, ...]:
        scope = self._scope(area_id)
        return steering.asks(
            self._rows,
            self._functions,
            self._weights,
            self._town_ids,
            keys,
            group_max=self._group_max(scope),
            town_max=self._town_max(scope),
            town_violations=[
                sum(area.town_violations[j] for area in scope) for j in range(len(self._towns))
            ],
        )

    def customization_asks(self, area_id: str | None = None) -> tuple[BestAsk, ...]:
        """For every customization, the drop in group risk if that town changed its workflow."""
        return self._asks(area_id, self._ask_keys(area_id, singles=True, groups=None))

    def function_asks(self, area_id: str | None = None) -> tuple[BestAsk, ...]:
        """For every customized function, the drop in group risk if all its towns moved."""
        return self._asks(area_id, self._ask_keys(area_id, singles=False, groups=1))

    def best_asks(
        self,
        area_id: str | None = None,
        limit: int | None = None,
        *,
        one_per_function: bool = False,
        function_ids: Collection[str] | None = None,
    ) -> tuple[BestAsk, ...]:
        """The asks for the next meeting: largest group risk drop first, then function, town;
        with `one_per_function`, only each function's best ask; with `function_ids`, only the
        asks on those functions (ranked as among all)."""
        # With one customizing town the all-towns ask is the town's own ask: list it once.
        keys = self._ask_keys(area_id, singles=True, groups=2)
        if function_ids is not None:
            keys = [key for key in keys if key[1] in function_ids]
        # Exact integer units within one scope (the violation band counted in units of the
        # scope's maximum), so ties are real ties; "" puts the
        # all-towns ask before the single-town asks of the same function.
        keys.sort()
        if one_per_function:
            keys = steering.first_per_function(keys)
        return self._asks(area_id, keys if limit is None else keys[:limit])
