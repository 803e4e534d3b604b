"""Divergence and Galapagos risk: how far the towns of a joint project drift from the standard.

The formula is documented in docs/galapagos-risk.md. In short, with n towns and m of them
customizing a function of class weight c, each customizing town adds c × (2n − m) "units"
(its weight c × (1 + (n − m)/n), counted in 1/n steps so that every sum is an exact integer),
and every score is 100 × its units / the largest number of units its cells could reach.
Pure Python: no Flask, no database.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Protocol

from fitgap.domain.i18n import N_, _
from fitgap.domain.values import Cost, Mark, Requirement, Status

__all__ = [
    "CLASS_WEIGHTS",
    "AreaScore",
    "BestAsk",
    "Contribution",
    "CostLens",
    "CostSplit",
    "CustomizationCost",
    "Divergence",
    "DivergenceKind",
    "Evidence",
    "FunctionCost",
    "FunctionLike",
    "FunctionScore",
    "GroupScore",
    "Score",
    "Scoreboard",
    "StatusCounts",
    "TownCost",
    "TownLike",
    "TownScore",
    "UnknownAreaError",
    "cost_lens",
    "divergence_advice",
    "divergence_label",
    "explain_ask",
    "explain_contribution",
    "galapagos_risk",
    "requirement_label",
    "round_risk",
    "status_label",
    "ten_year_cost",
    "to_contract_json",
    "to_text",
]

# A prohibited function must outweigh any other customization even when it is shared by all
# and the other one is lone: 3 × 1 > 1 × (2 − 1/n) for every n.
CLASS_WEIGHTS: dict[Requirement, int] = {
    Requirement.MANDATORY: 1,
    Requirement.OPTIONAL: 1,
    Requirement.PROHIBITED: 3,
}

_FIT = Status.FIT
_WORKFLOW = Status.WORKFLOW_CHANGE
_CUSTOM = Status.CUSTOMIZATION
_NA = Status.NOT_APPLICABLE
_UNDECIDED = Status.UNDECIDED
_STATUS_ORDER: tuple[Status, ...] = (_FIT, _WORKFLOW, _CUSTOM, _NA, _UNDECIDED)
# Anything that is not one of the four verdicts counts as undecided, here and in the counts.
_STATUS_INDEX: dict[str, int] = {s.value: k for k, s in enumerate(_STATUS_ORDER)}
_UNDECIDED_INDEX = 4


class FunctionLike(Protocol):
    """What the engine needs of a catalog function (model.Function fits)."""

    @property
    def id(self) -> str: ...

    @property
    def area_id(self) -> str: ...

    @property
    def requirement(self) -> Requirement: ...


class TownLike(Protocol):
    """What the engine needs of a town (model.Town fits); a `name` is used when present."""

    @property
    def id(self) -> str: ...

    @property
    def population(self) -> int | None: ...


class UnknownAreaError(ValueError):
    """An area id that is not in the catalog the scoreboard was built from."""

    def __init__(self, area_id: str) -> None:
        super().__init__(_("業務 %(area)s はカタログにありません。", area=area_id))
        self.area_id = area_id


class DivergenceKind(StrEnum):
    """What the consultant should do about one function, from the towns' verdicts."""

    NONE = "none"
    LONE_CUSTOMIZATION = "lone_customization"
    SPLIT_CUSTOMIZATION_WORKFLOW = "split_customization_workflow"
    SHARED_CUSTOMIZATION = "shared_customization"
    MIXED_FIT_WORKFLOW = "mixed_fit_workflow"
    MIXED_APPLICABILITY = "mixed_applicability"
    VIOLATION = "violation"


_KIND_LABELS: dict[DivergenceKind, str] = {
    DivergenceKind.NONE: N_("相違なし"),
    DivergenceKind.LONE_CUSTOMIZATION: N_("単独カスタマイズ"),
    DivergenceKind.SPLIT_CUSTOMIZATION_WORKFLOW: N_("カスタマイズする団体としない団体に分かれる"),
    DivergenceKind.SHARED_CUSTOMIZATION: N_("共同カスタマイズ"),
    DivergenceKind.MIXED_FIT_WORKFLOW: N_("適合と業務見直しに分かれる"),
    DivergenceKind.MIXED_APPLICABILITY: N_("対象外とする団体がある"),
    DivergenceKind.VIOLATION: N_("実装不可機能のカスタマイズ（違反）"),
}

_KIND_ADVICE: dict[DivergenceKind, str] = {
    DivergenceKind.NONE: N_("協議は不要です。"),
    DivergenceKind.LONE_CUSTOMIZATION: N_(
        "他の団体の運用を紹介し、業務見直しで対応できないか確認してください。"
    ),
    DivergenceKind.SPLIT_CUSTOMIZATION_WORKFLOW: N_(
        "カスタマイズを希望する団体に、適合・業務見直しとした団体の運用を紹介してください。"
    ),
    DivergenceKind.SHARED_CUSTOMIZATION: N_(
        "全団体での業務見直しを検討し、難しければ共同カスタマイズとして理由を記録してください。"
    ),
    DivergenceKind.MIXED_FIT_WORKFLOW: N_(
        "業務見直しの内容を共有し、運用をそろえられないか確認してください。"
    ),
    DivergenceKind.MIXED_APPLICABILITY: N_(
        "この機能を使う団体と使わない団体があることを確認し、記録してください。"
    ),
    DivergenceKind.VIOLATION: N_(
        "実装不可機能はカスタマイズできません。業務見直しか疎結合の別システムを検討してください。"
    ),
}

_STATUS_LABELS: dict[Status, str] = {
    Status.FIT: N_("適合"),
    Status.WORKFLOW_CHANGE: N_("業務見直し"),
    Status.CUSTOMIZATION: N_("カスタマイズ"),
    Status.NOT_APPLICABLE: N_("対象外"),
    Status.UNDECIDED: N_("未判定"),
}

_REQUIREMENT_LABELS: dict[Requirement, str] = {
    Requirement.MANDATORY: N_("実装必須機能"),
    Requirement.OPTIONAL: N_("標準オプション機能"),
    Requirement.PROHIBITED: N_("実装不可機能"),
}


def divergence_label(kind: DivergenceKind) -> str:
    """The divergence kind's short label in the current language."""
    return _(_KIND_LABELS[kind])


def divergence_advice(kind: DivergenceKind) -> str:
    """One sentence telling the consultant what to do about this kind of divergence."""
    return _(_KIND_ADVICE[kind])


def status_label(status: Status) -> str:
    """A verdict's label in the current language (適合, 業務見直し, ...)."""
    return _(_STATUS_LABELS[status])


def requirement_label(requirement: Requirement) -> str:
    """A function class's label in the current language (実装必須機能, ...)."""
    return _(_REQUIREMENT_LABELS[requirement])


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class StatusCounts:
    """How many (town, function) cells carry each verdict."""

    fit: int = 0
    workflow_change: int = 0
    customization: int = 0
    not_applicable: int = 0
    undecided: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts keyed by status value, in the order of the Status enum."""
        return {
            Status.FIT.value: self.fit,
            Status.WORKFLOW_CHANGE.value: self.workflow_change,
            Status.CUSTOMIZATION.value: self.customization,
            Status.NOT_APPLICABLE.value: self.not_applicable,
            Status.UNDECIDED.value: self.undecided,
        }


@dataclass(frozen=True, slots=True)
class Contribution:
    """One customization's share of a score: what (town, function) adds, and why."""

    town_id: str
    town_name: str
    function_id: str
    area_id: str
    requirement: Requirement
    sharing: int  # how many towns customize this function (the town included)
    n_towns: int
    units: int  # class weight × (2n − sharing); a town's weight in 1/n steps
    points: float  # 100 × units / max_units of the score this contribution belongs to

    @property
    def weight(self) -> float:
        """Class weight × sharing factor: between 1 and 2 − 1/n for a permitted function."""
        return self.units / self.n_towns

    @property
    def violation(self) -> bool:
        """True when the customized function is prohibited."""
        return self.requirement is Requirement.PROHIBITED

    @property
    def lone(self) -> bool:
        """True when no other town customizes this function."""
        return self.sharing == 1


@dataclass(frozen=True, slots=True)
class Divergence:
    """Whether the towns' verdicts on a function differ, and in what way."""

    function_id: str
    kind: DivergenceKind
    divergent: bool
    violation: bool
    customizing_towns: tuple[str, ...]

    @property
    def label(self) -> str:
        """The kind's label in the current language."""
        return divergence_label(self.kind)

    @property
    def advice(self) -> str:
        """What to do, in one sentence in the current language."""
        return divergence_advice(self.kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    """A risk with the counts and the contributions that make it up."""

    risk: float  # 0–100, exact; round only for display
    units: int  # sum of the contributions' units
    max_units: int  # the most units these cells could reach; fixed by the catalog and n
    counts: StatusCounts
    violations: int  # customization marks on prohibited functions
    contributions: tuple[Contribution, ...]

    @property
    def customizations(self) -> int:
        """Customization marks counted in this score."""
        return self.counts.customization

    @property
    def undecided(self) -> int:
        """Cells with no verdict yet (no mark, or an undecided one)."""
        return self.counts.undecided


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupScore(Score):
    """The whole group's score, over every function of the scope."""

    area_id: str | None
    n_towns: int
    n_functions: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TownScore(Score):
    """One town's score over the functions of the scope."""

    id: str
    name: str
    area_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaScore(Score):
    """One business area's score: every town over that area's functions."""

    id: str
    n_functions: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionScore(Score):
    """One function's score over every town, with its verdicts and divergence."""

    id: str
    area_id: str
    requirement: Requirement
    statuses: dict[str, Status]
    divergence: Divergence


@dataclass(frozen=True, slots=True)
class Evidence:
    """How another town manages without the customization: shown next to the ask."""

    town_id: str
    status: Status
    note: str | None


@dataclass(frozen=True, slots=True)
class BestAsk:
    """Asking a town (or all customizing towns) to move to a workflow change, and the gain."""

    function_id: str
    area_id: str
    town_id: str | None  # None: every customizing town of the function at once
    towns: tuple[str, ...]
    requirement: Requirement
    kind: DivergenceKind
    group_drop_units: int
    group_drop: float  # drop of the group (or area) risk, in points
    town_drop: float | None  # drop of the asked town's own risk (single-town asks)
    evidence: tuple[Evidence, ...]


# ---------------------------------------------------------------------------------------------
# The engine


class _Row:
    """One function's verdicts and their risk units; never mutated once built."""

    __slots__ = ("counts", "customizers", "divergent", "kind", "marks", "statuses", "unit")

    def __init__(
        self,
        statuses: tuple[Status, ...],
        marks: tuple[Mark | None, ...],
        customizers: tuple[int, ...],
        unit: int,
        counts: tuple[int, int, int, int, int],
        kind: DivergenceKind,
        divergent: bool,
    ) -> None:
        self.statuses = statuses
        self.marks = marks
        self.customizers = customizers
        self.unit = unit  # units of each customizing town
        self.counts = counts
        self.kind = kind
        self.divergent = divergent


def _build_row(
    statuses: list[Status], marks: list[Mark | None], weight: int, prohibited: bool, n: int
) -> _Row:
    fit = statuses.count(_FIT)
    workflow = statuses.count(_WORKFLOW)
    custom = statuses.count(_CUSTOM)
    na = statuses.count(_NA)
    decided = fit + workflow + custom + na
    customizers: tuple[int, ...] = ()
    if custom:
        found: list[int] = []
        j = -1
        for _k in range(custom):
            j = statuses.index(_CUSTOM, j + 1)
            found.append(j)
        customizers = tuple(found)
    # not_applicable is a verdict like the others, so it takes part in divergence.
    divergent = (fit > 0) + (workflow > 0) + (custom > 0) + (na > 0) > 1
    if custom:
        if prohibited:
            kind = DivergenceKind.VIOLATION
        elif custom == 1:
            kind = DivergenceKind.LONE_CUSTOMIZATION
        elif decided > custom:
            kind = DivergenceKind.SPLIT_CUSTOMIZATION_WORKFLOW
        else:
            kind = DivergenceKind.SHARED_CUSTOMIZATION
    elif fit and workflow:
        kind = DivergenceKind.MIXED_FIT_WORKFLOW
    elif divergent:
        kind = DivergenceKind.MIXED_APPLICABILITY
    else:
        kind = DivergenceKind.NONE
    return _Row(
        tuple(statuses),
        tuple(marks),
        customizers,
        weight * (2 * n - custom),
        (fit, workflow, custom, na, n - decided),
        kind,
        divergent,
    )


class _AreaTotals:
    """Per-town sums over one area's functions; exact integers, so deltas stay exact."""

    __slots__ = ("class_sum", "functions", "town_counts", "town_units", "town_violations")

    def __init__(
        self,
        functions: tuple[int, ...],
        class_sum: int,
        town_counts: tuple[tuple[int, ...], ...],
        town_units: tuple[int, ...],
        town_violations: tuple[int, ...],
    ) -> None:
        self.functions = functions
        self.class_sum = class_sum
        self.town_counts = town_counts
        self.town_units = town_units
        self.town_violations = town_violations


def _area_totals(
    functions: tuple[int, ...],
    rows: Sequence[_Row],
    weights: Sequence[int],
    prohibited: Sequence[bool],
    n: int,
) -> _AreaTotals:
    counts: list[tuple[int, ...]] = [(0, 0, 0, 0, 0)] * n
    if functions:
        # Transpose once (in C) instead of touching every cell from Python.
        for j, column in enumerate(zip(*(rows[i].statuses for i in functions), strict=True)):
            fit = column.count(_FIT)
            workflow = column.count(_WORKFLOW)
            custom = column.count(_CUSTOM)
            na = column.count(_NA)
            counts[j] = (fit, workflow, custom, na, len(column) - fit - workflow - custom - na)
    units = [0] * n
    violations = [0] * n
    for i in functions:
        row = rows[i]
        if row.customizers:
            unit = row.unit
            for j in row.customizers:
                units[j] += unit
            if prohibited[i]:
                for j in row.customizers:
                    violations[j] += 1
    return _AreaTotals(
        functions,
        sum(weights[i] for i in functions),
        tuple(counts),
        tuple(units),
        tuple(violations),
    )


def _risk(units: int, max_units: int) -> float:
    return 100.0 * units / max_units if max_units else 0.0


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
        rows: list[_Row],
        areas: list[_AreaTotals],
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
        i = self._function_index.get(mark.function_id)
        j = self._town_index.get(mark.town_id)
        if i is None or j is None:
            # Same rule as galapagos_risk: marks outside the catalog or the towns do not count.
            return self
        n = len(self._towns)
        old = self._rows[i]
        statuses = list(old.statuses)
        statuses[j] = mark.status
        marks = list(old.marks)
        marks[j] = mark
        new = _build_row(statuses, marks, self._weights[i], self._prohibited[i], n)

        a = self._fn_area[i]
        area = self._areas[a]
        town_counts = list(area.town_counts)
        changed = list(town_counts[j])
        changed[_STATUS_INDEX.get(old.statuses[j], _UNDECIDED_INDEX)] -= 1
        changed[_STATUS_INDEX.get(mark.status, _UNDECIDED_INDEX)] += 1
        town_counts[j] = tuple(changed)
        units = list(area.town_units)
        for k in old.customizers:
            units[k] -= old.unit
        for k in new.customizers:
            units[k] += new.unit
        violations = area.town_violations
        if self._prohibited[i]:
            updated = list(violations)
            for k in old.customizers:
                updated[k] -= 1
            for k in new.customizers:
                updated[k] += 1
            violations = tuple(updated)

        rows = list(self._rows)
        rows[i] = new
        areas = list(self._areas)
        areas[a] = _AreaTotals(
            area.functions, area.class_sum, tuple(town_counts), tuple(units), violations
        )
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

    def with_marks(self, marks: Iterable[Mark]) -> Scoreboard:
        """A new scoreboard with these marks applied in order."""
        board = self
        for mark in marks:
            board = board.with_mark(mark)
        return board

    # -- scopes ----------------------------------------------------------------------------

    def _scope(self, area_id: str | None) -> Sequence[_AreaTotals]:
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

    def _group_max(self, scope: Sequence[_AreaTotals]) -> int:
        n = len(self._towns)
        # Worst case for the group: every town customizes every function (then m = n).
        return n * n * sum(area.class_sum for area in scope)

    def _town_max(self, scope: Sequence[_AreaTotals]) -> int:
        n = len(self._towns)
        # Worst case for one town: it customizes every function, each time alone (m = 1).
        return (2 * n - 1) * sum(area.class_sum for area in scope)

    def _contributions(
        self, functions: Iterable[int], max_units: int, town: int | None = None
    ) -> tuple[Contribution, ...]:
        rows = self._rows
        n = len(self._towns)
        found: list[Contribution] = []
        for i in functions:
            row = rows[i]
            if not row.customizers:
                continue
            function = self._functions[i]
            for j in row.customizers:
                if town is not None and j != town:
                    continue
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
                        points=_risk(row.unit, max_units),
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
        contributions = (
            self._contributions(self._scope_functions(area_id), max_units) if breakdown else ()
        )
        return GroupScore(
            risk=_risk(units, max_units),
            units=units,
            max_units=max_units,
            counts=_counts(c for area in scope for c in area.town_counts),
            violations=sum(sum(area.town_violations) for area in scope),
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
            self._contributions(self._scope_functions(area_id), self._town_max(scope), j)
            if breakdown
            else ()
        )
        return self._town_score(j, scope, area_id, contributions)

    def _town_score(
        self,
        j: int,
        scope: Sequence[_AreaTotals],
        area_id: str | None,
        contributions: tuple[Contribution, ...],
    ) -> TownScore:
        units = sum(area.town_units[j] for area in scope)
        max_units = self._town_max(scope)
        return TownScore(
            risk=_risk(units, max_units),
            units=units,
            max_units=max_units,
            counts=_counts(area.town_counts[j] for area in scope),
            violations=sum(area.town_violations[j] for area in scope),
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
        by_town: list[list[Contribution]] = [[] for _j in self._towns]
        if breakdown:
            # One pass over the scope for all towns, not one per town.
            everything = self._contributions(self._scope_functions(area_id), self._town_max(scope))
            for item in everything:
                by_town[self._town_index[item.town_id]].append(item)
        return tuple(
            self._town_score(j, scope, area_id, tuple(by_town[j])) for j in range(len(self._towns))
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

    def _function_risk(self, i: int) -> float:
        row = self._rows[i]
        n = len(self._towns)
        return _risk(row.unit * len(row.customizers), self._weights[i] * n * n)

    def _function_score(self, i: int) -> FunctionScore:
        row = self._rows[i]
        function = self._functions[i]
        n = len(self._towns)
        # Worst case for a function: every town customizes it (each then adds class × n).
        max_units = self._weights[i] * n * n
        units = row.unit * len(row.customizers)
        return FunctionScore(
            risk=_risk(units, max_units),
            units=units,
            max_units=max_units,
            counts=StatusCounts(*row.counts),
            violations=len(row.customizers) if self._prohibited[i] else 0,
            contributions=self._contributions((i,), max_units),
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
        found: list[Evidence] = []
        for j, status in enumerate(row.statuses):
            if j != skip and status in (_FIT, _WORKFLOW):
                mark = row.marks[j]
                found.append(Evidence(self._town_ids[j], status, mark.note if mark else None))
        return tuple(found)

    def _ask_keys(
        self, area_id: str | None, *, singles: bool, groups: int | None
    ) -> list[tuple[int, str, str, int, int]]:
        # Plain tuples (-drop units, function id, town id, function, town) so that ranking
        # 45,000 customizations stays cheap; BestAsk objects are built for the kept ones only.
        # `groups` is the least number of customizing towns for an all-towns ask (None: none).
        n = len(self._towns)
        keys: list[tuple[int, str, str, int, int]] = []
        for i in self._scope_functions(area_id):
            row = self._rows[i]
            if not row.customizers:
                continue
            m = len(row.customizers)
            function_id = self._functions[i].id
            if groups is not None and m >= groups:
                keys.append((-row.unit * m, function_id, "", i, -1))
            if singles:
                # Its own units go (c(2n − m)), and each of the other m − 1 gains c as it
                # becomes a little more alone: c(2n − m) − c(m − 1) = c(2n − 2m + 1) > 0.
                drop = self._weights[i] * (2 * n - 2 * m + 1)
                for j in row.customizers:
                    keys.append((-drop, function_id, self._town_ids[j], i, j))
        return keys

    def _asks(
        self, area_id: str | None, keys: Iterable[tuple[int, str, str, int, int]]
    ) -> tuple[BestAsk, ...]:
        scope = self._scope(area_id)
        group_max = self._group_max(scope)
        town_max = self._town_max(scope)
        evidence: dict[int, tuple[Evidence, ...]] = {}
        asks: list[BestAsk] = []
        for negative_drop, function_id, _town, i, j in keys:
            row = self._rows[i]
            function = self._functions[i]
            if i not in evidence:
                evidence[i] = self.evidence(function_id)
            single = j >= 0
            asks.append(
                BestAsk(
                    function_id=function_id,
                    area_id=function.area_id,
                    town_id=self._town_ids[j] if single else None,
                    towns=(
                        (self._town_ids[j],)
                        if single
                        else tuple(self._town_ids[k] for k in row.customizers)
                    ),
                    requirement=function.requirement,
                    kind=row.kind,
                    group_drop_units=-negative_drop,
                    group_drop=_risk(-negative_drop, group_max),
                    town_drop=_risk(row.unit, town_max) if single else None,
                    evidence=evidence[i],
                )
            )
        return tuple(asks)

    def customization_asks(self, area_id: str | None = None) -> tuple[BestAsk, ...]:
        """For every customization, the drop in group risk if that town changed its workflow."""
        return self._asks(area_id, self._ask_keys(area_id, singles=True, groups=None))

    def function_asks(self, area_id: str | None = None) -> tuple[BestAsk, ...]:
        """For every customized function, the drop in group risk if all its towns moved."""
        return self._asks(area_id, self._ask_keys(area_id, singles=False, groups=1))

    def best_asks(
        self, area_id: str | None = None, limit: int | None = None
    ) -> tuple[BestAsk, ...]:
        """The asks for the next meeting: largest group risk drop first, then function, town."""
        # With one customizing town the all-towns ask is the town's own ask: list it once.
        keys = self._ask_keys(area_id, singles=True, groups=2)
        # Exact integer units within one scope, so ties are real ties; "" puts the
        # all-towns ask before the single-town asks of the same function.
        keys.sort()
        return self._asks(area_id, keys if limit is None else keys[:limit])


def galapagos_risk(
    functions: Iterable[FunctionLike], towns: Iterable[TownLike], marks: Iterable[Mark]
) -> Scoreboard:
    """Score the catalog's functions for the towns and their marks (no mark means undecided)."""
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
            raise ValueError(_("団体ID %(id)s が重複しています。", id=town.id))
        town_index[town.id] = j
    n = len(town_list)

    status_rows = [[_UNDECIDED] * n for _i in function_list]
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
        _build_row(status_rows[i], mark_rows[i], weights[i], prohibited[i], n)
        for i in range(len(function_list))
    ]
    areas = [_area_totals(tuple(fs), rows, weights, prohibited, n) for fs in area_functions]
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


# ---------------------------------------------------------------------------------------------
# Explanations


_TENTH = Decimal("0.1")


def round_risk(value: float) -> float:
    """A risk rounded to one decimal, half up, for display and JSON."""
    # 四捨五入 of the number as printed (43.75 -> 43.8, 12.25 -> 12.3), as people round by
    # hand; Python's round() would send exact halves to the even digit (12.25 -> 12.2).
    return float(Decimal(repr(value)).quantize(_TENTH, rounding=ROUND_HALF_UP))


def _points(value: float) -> str:
    return f"{round_risk(value):.1f}"


def explain_contribution(contribution: Contribution) -> str:
    """One sentence saying why this (town, function) adds what it adds to its score."""
    if contribution.violation:
        function = _("実装不可機能%(function)s", function=contribution.function_id)
    else:
        function = contribution.function_id
    points = _points(contribution.points)
    if contribution.sharing == 1:
        return _(
            "%(town)sは%(function)sをひとりだけカスタマイズするため、寄与は%(points)s点です。",
            town=contribution.town_name,
            function=function,
            points=points,
        )
    if contribution.sharing == contribution.n_towns:
        return _(
            "%(town)sは%(function)sを全%(towns)d団体で共同カスタマイズするため、"
            "寄与は%(points)s点です。",
            town=contribution.town_name,
            function=function,
            towns=contribution.n_towns,
            points=points,
        )
    return _(
        "%(town)sは%(function)sを他の%(others)d団体と共同でカスタマイズするため、"
        "寄与は%(points)s点です。",
        town=contribution.town_name,
        function=function,
        others=contribution.sharing - 1,
        points=points,
    )


def explain_ask(ask: BestAsk, board: Scoreboard) -> str:
    """One sentence: whom to ask to move to a workflow change, and how much risk it removes."""
    points = _points(ask.group_drop)
    if ask.town_id is not None:
        return _(
            "%(town)sに%(function)sの業務見直しを依頼すると、リスクが%(points)s点下がります。",
            town=board.town_name(ask.town_id),
            function=ask.function_id,
            points=points,
        )
    return _(
        "%(towns)sに%(function)sの業務見直しをそろって依頼すると、リスクが%(points)s点下がります。",
        towns=_("、").join(board.town_name(t) for t in ask.towns),
        function=ask.function_id,
        points=points,
    )


# ---------------------------------------------------------------------------------------------
# The 10-year cost lens


class CostSplit(StrEnum):
    """How a shared customization's cost is divided between the towns that share it."""

    EQUAL = "equal"
    POPULATION = "population"


@dataclass(frozen=True, slots=True)
class CustomizationCost:
    """One town's customization seen through the 10-year cost lens."""

    town_id: str
    function_id: str
    own_estimate_yen: int | None  # this town's initial + 10 × annual, if it gave a cost
    shared_cost_yen: int | None  # the one build for the shared system: max of the estimates
    sharing: int
    share_yen: float | None  # what this town pays of the shared cost
    town_saving_yen: float | None  # what it stops paying if it moves to a workflow change
    group_saving_yen: float | None  # what the group's total drops by if it does

    @property
    def shifted_yen(self) -> float | None:
        """What the other sharing towns pay more when this town leaves the customization."""
        if self.town_saving_yen is None or self.group_saving_yen is None:
            return None
        return self.town_saving_yen - self.group_saving_yen


@dataclass(frozen=True, slots=True)
class FunctionCost:
    """One customized function's shared 10-year cost."""

    function_id: str
    area_id: str
    shared_cost_yen: int | None
    towns: tuple[str, ...]
    estimated_by: tuple[str, ...]
    population_split: bool  # False when split equally (asked for, or a population is missing)


@dataclass(frozen=True, slots=True)
class TownCost:
    """One town's 10-year customization cost (its shares) and what it knows of it."""

    town_id: str
    ten_year_yen: float
    customizations: int
    unestimated: int  # its customizations whose function has no estimate from anyone


@dataclass(frozen=True, slots=True)
class CostLens:
    """The group's customizations in yen over ten years."""

    split: CostSplit
    total_yen: int
    towns: tuple[TownCost, ...]
    functions: tuple[FunctionCost, ...]
    customizations: tuple[CustomizationCost, ...]


def ten_year_cost(cost: Cost) -> int:
    """A customization's 10-year cost: the initial cost plus ten years of the annual cost."""
    return cost.initial_yen + 10 * cost.annual_yen


def _shares(
    total: int, towns: Sequence[int], populations: Sequence[int | None], split: CostSplit
) -> tuple[list[float], bool]:
    if split is CostSplit.POPULATION:
        people = [populations[j] for j in towns]
        if all(p is not None and p > 0 for p in people):
            counted = [p or 0 for p in people]
            whole = sum(counted)
            return [total * p / whole for p in counted], True
    return [total / len(towns)] * len(towns), False


def cost_lens(
    board: Scoreboard, split: CostSplit = CostSplit.EQUAL, area_id: str | None = None
) -> CostLens:
    """Each town's 10-year customization cost, shared builds split between their towns."""
    n = board.n_towns
    populations = [t.population for t in board.towns]
    town_yen = [0.0] * n
    town_count = [0] * n
    town_unknown = [0] * n
    total = 0
    functions: list[FunctionCost] = []
    customizations: list[CustomizationCost] = []
    for i in board._scope_functions(area_id):
        row = board._rows[i]
        if not row.customizers:
            continue
        function = board._functions[i]
        estimates: dict[int, int] = {}
        for j in row.customizers:
            mark = row.marks[j]
            if mark is not None and mark.cost is not None:
                estimates[j] = ten_year_cost(mark.cost)
        # One shared system means one build: the most demanding estimate covers every wish.
        shared = max(estimates.values()) if estimates else None
        by_population = False
        shares: list[float | None] = [None] * len(row.customizers)
        if shared is not None:
            total += shared
            split_shares, by_population = _shares(shared, row.customizers, populations, split)
            shares = list(split_shares)
        functions.append(
            FunctionCost(
                function_id=function.id,
                area_id=function.area_id,
                shared_cost_yen=shared,
                towns=tuple(board._town_ids[j] for j in row.customizers),
                estimated_by=tuple(board._town_ids[j] for j in estimates),
                population_split=by_population,
            )
        )
        for k, j in enumerate(row.customizers):
            share = shares[k]
            town_count[j] += 1
            if share is None:
                town_unknown[j] += 1
            else:
                town_yen[j] += share
            customizations.append(
                CustomizationCost(
                    town_id=board._town_ids[j],
                    function_id=function.id,
                    own_estimate_yen=estimates.get(j),
                    shared_cost_yen=shared,
                    sharing=len(row.customizers),
                    share_yen=share,
                    town_saving_yen=share,
                    group_saving_yen=_group_saving(shared, estimates, row.customizers, j),
                )
            )
    return CostLens(
        split=split,
        total_yen=total,
        towns=tuple(
            TownCost(board._town_ids[j], town_yen[j], town_count[j], town_unknown[j])
            for j in range(n)
        ),
        functions=tuple(functions),
        customizations=tuple(customizations),
    )


def _group_saving(
    shared: int | None, estimates: dict[int, int], customizers: Sequence[int], leaving: int
) -> float | None:
    if shared is None:
        return None
    if len(customizers) == 1:
        return float(shared)
    remaining = [cost for j, cost in estimates.items() if j != leaving]
    # The build stays for the others; without an estimate of theirs its new cost is unknown.
    return float(shared - max(remaining)) if remaining else None


# ---------------------------------------------------------------------------------------------
# Output


def to_contract_json(
    board: Scoreboard, area_id: str | None = None, *, asks: int = 10
) -> dict[str, Any]:
    """The object printed by `fitgap score --format json` (see the contract), with extras."""
    group = board.group_score(area_id, breakdown=False)
    area_ids = board.area_ids if area_id is None else (area_id,)
    return {
        "group": {
            "risk": round_risk(group.risk),
            "customizations": group.customizations,
            "violations": group.violations,
            "undecided": group.undecided,
            "area": area_id,
            "towns": group.n_towns,
            "functions": group.n_functions,
            "counts": group.counts.as_dict(),
        },
        "towns": [
            {
                "id": town.id,
                "name": town.name,
                "risk": round_risk(town.risk),
                "customizations": town.customizations,
                "violations": town.violations,
                "undecided": town.undecided,
                "counts": town.counts.as_dict(),
            }
            for town in board.town_scores(area_id, breakdown=False)
        ],
        "areas": [
            {
                "id": area.id,
                "risk": round_risk(area.risk),
                "customizations": area.customizations,
                "violations": area.violations,
                "undecided": area.undecided,
                "functions": area.n_functions,
            }
            for area in (board.area_score(a, breakdown=False) for a in area_ids)
        ],
        "functions": [_function_json(board, i) for i in board._scope_functions(area_id)],
        "best_asks": [_ask_json(ask) for ask in board.best_asks(area_id, asks)],
    }


def _function_json(board: Scoreboard, i: int) -> dict[str, Any]:
    # Built from the row directly: a FunctionScore (with its contributions) per function
    # would cost more than the whole scoring at 20,000 functions.
    row = board._rows[i]
    function = board._functions[i]
    return {
        "id": function.id,
        "area": function.area_id,
        "requirement": function.requirement.value,
        "risk": round_risk(board._function_risk(i)),
        "divergent": row.divergent,
        "violation": row.kind is DivergenceKind.VIOLATION,
        "kind": row.kind.value,
        "statuses": {
            town_id: str(status)
            for town_id, status in zip(board.town_ids, row.statuses, strict=True)
        },
    }


def _ask_json(ask: BestAsk) -> dict[str, Any]:
    return {
        "function": ask.function_id,
        "area": ask.area_id,
        "town": ask.town_id,
        "towns": list(ask.towns),
        "kind": ask.kind.value,
        "group_drop": round_risk(ask.group_drop),
        "town_drop": None if ask.town_drop is None else round_risk(ask.town_drop),
        "evidence": [
            {"town": e.town_id, "status": e.status.value, "note": e.note} for e in ask.evidence
        ],
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]
) -> list[str]:
    widths = [max(_width(line[k]) for line in [header, *rows]) for k in range(len(header))]
    lines: list[str] = []
    for line in [header, *rows]:
        cells = [_pad(cell, widths[k], right=right[k]) for k, cell in enumerate(line)]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def to_text(board: Scoreboard, area_id: str | None = None, *, top: int = 10) -> str:
    """A readable report for `fitgap score --format text`: group, towns, areas, asks."""
    group = board.group_score(area_id, breakdown=False)
    lines: list[str] = []
    if area_id is None:
        lines.append(_("ガラパゴス・リスク（全体）: %(risk)s / 100", risk=_points(group.risk)))
    else:
        lines.append(
            _(
                "ガラパゴス・リスク（業務 %(area)s）: %(risk)s / 100",
                area=area_id,
                risk=_points(group.risk),
            )
        )
    lines.append(
        _(
            "カスタマイズ %(customizations)d件（うち実装不可機能 %(violations)d件）、"
            "未判定 %(undecided)d件、%(towns)d団体 × %(functions)d機能",
            customizations=group.customizations,
            violations=group.violations,
            undecided=group.undecided,
            towns=group.n_towns,
            functions=group.n_functions,
        )
    )

    lines += ["", _("団体別")]
    lines += _table(
        [_("団体"), _("リスク"), _("カスタマイズ"), _("違反"), _("未判定")],
        [
            [
                f"{t.name} ({t.id})",
                _points(t.risk),
                str(t.customizations),
                str(t.violations),
                str(t.undecided),
            ]
            for t in board.town_scores(area_id, breakdown=False)
        ],
        [False, True, True, True, True],
    )

    lines += ["", _("業務別")]
    area_ids = board.area_ids if area_id is None else (area_id,)
    lines += _table(
        [_("業務"), _("リスク"), _("カスタマイズ"), _("違反")],
        [
            [a.id, _points(a.risk), str(a.customizations), str(a.violations)]
            for a in (board.area_score(x, breakdown=False) for x in area_ids)
        ],
        [False, True, True, True],
    )

    lines += ["", _("要協議の機能（違反を先に、リスクの高い順、上位%(top)d件）", top=top)]
    # A violation is never acceptable, so it leads whatever its risk. Rank on the rows and
    # build full scores only for the functions shown.
    ranked: list[tuple[bool, float, str, int]] = []
    for i in board._scope_functions(area_id):
        kind = board._rows[i].kind
        if kind is not DivergenceKind.NONE:
            violation = kind is DivergenceKind.VIOLATION
            ranked.append((not violation, -board._function_risk(i), board._functions[i].id, i))
    ranked.sort()
    flagged = [board._function_score(item[3]) for item in ranked[:top]]
    if flagged:
        lines += _table(
            [_("機能ID"), _("業務"), _("リスク"), _("相違"), _("カスタマイズする団体")],
            [
                [
                    s.id,
                    s.area_id,
                    _points(s.risk),
                    s.divergence.label,
                    _("、").join(board.town_name(t) for t in s.divergence.customizing_towns),
                ]
                for s in flagged
            ],
            [False, False, True, False, False],
        )
    else:
        lines.append("  " + _("なし"))

    lines += ["", _("次回会議での依頼候補（リスクの下がる順、上位%(top)d件）", top=top)]
    asks = board.best_asks(area_id, top)
    if not asks:
        lines.append("  " + _("なし"))
    for rank, ask in enumerate(asks, start=1):
        lines.append(f"  {rank}. {explain_ask(ask, board)}")
        for item in ask.evidence:
            if item.note:
                evidence = _(
                    "%(town)s（%(status)s）: %(note)s",
                    town=board.town_name(item.town_id),
                    status=status_label(item.status),
                    note=" ".join(item.note.split()),
                )
                lines.append(f"       {evidence}")
    return "\n".join(lines) + "\n"
