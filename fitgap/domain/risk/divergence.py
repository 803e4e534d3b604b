"""The engine's tables: each function's row of verdicts (its divergence kind, its risk units)
and each area's per-town sums, all exact integers.

A module of its own, under the scoreboard, so that fitgap.domain.labels can name the
divergence kinds without importing the scoreboard (which shows those labels). Row, build_row,
AreaTotals and area_totals are the risk package's internals: use Scoreboard outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from fitgap.domain.values import Mark, Requirement, Status

__all__ = [
    "CLASS_WEIGHTS",
    "STATUS_INDEX",
    "UNDECIDED_INDEX",
    "VIOLATION_BAND",
    "AreaTotals",
    "DivergenceKind",
    "Row",
    "apply_mark",
    "area_totals",
    "build_row",
    "risk_of",
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
STATUS_INDEX: dict[str, int] = {s.value: k for k, s in enumerate(_STATUS_ORDER)}
UNDECIDED_INDEX = 4


class DivergenceKind(StrEnum):
    """What the consultant should do about one function, from the towns' verdicts."""

    NONE = "none"
    LONE_CUSTOMIZATION = "lone_customization"
    SPLIT_CUSTOMIZATION_WORKFLOW = "split_customization_workflow"
    SHARED_CUSTOMIZATION = "shared_customization"
    MIXED_FIT_WORKFLOW = "mixed_fit_workflow"
    MIXED_APPLICABILITY = "mixed_applicability"
    VIOLATION = "violation"


class Row:
    """One function's verdicts and their risk units; never mutated once built."""

    __slots__ = ("counts", "customizers", "divergent", "kind", "marks", "statuses", "unit")

    def __init__(
        self,
        statuses: tuple[Status, ...],
        marks: Sequence[Mark | None],
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


def build_row(
    statuses: list[Status], marks: Sequence[Mark | None], weight: int, prohibited: bool, n: int
) -> Row:
    """A function's row: its verdict counts, customizing towns, units and divergence kind."""
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
    return Row(
        tuple(statuses),
        # A list is frozen into a tuple; columns.MarkRow (marks made on demand) is kept as is.
        tuple(marks) if isinstance(marks, list) else marks,
        customizers,
        weight * (2 * n - custom),
        (fit, workflow, custom, na, n - decided),
        kind,
        divergent,
    )


class AreaTotals:
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


def area_totals(
    functions: tuple[int, ...],
    rows: Sequence[Row],
    weights: Sequence[int],
    prohibited: Sequence[bool],
    n: int,
) -> AreaTotals:
    """One area's per-town counts, units and violations over its functions."""
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
    return AreaTotals(
        functions,
        sum(weights[i] for i in functions),
        tuple(counts),
        tuple(units),
        tuple(violations),
    )


# The risk scale has two bands. Below 50: permitted customizations only, as a share of the
# worst case of the scope (50 = every cell a customization). From 50 up: at least one
# customization of a prohibited function; a violation breaks the standard the package
# follows, so it reads and ranks above any number of permitted customizations, at every
# level (function, town, area, group).
VIOLATION_BAND = 50.0


def apply_mark(
    rows: list[Row],
    areas: list[AreaTotals],
    i: int,
    j: int,
    mark: Mark,
    *,
    weight: int,
    area: int,
    prohibited: bool,
    n: int,
) -> None:
    """Put town j's mark on function i into these (copied) rows and area totals."""
    old = rows[i]
    statuses = list(old.statuses)
    statuses[j] = mark.status
    marks = list(old.marks)
    marks[j] = mark
    new = build_row(statuses, marks, weight, prohibited, n)

    totals = areas[area]
    town_counts = list(totals.town_counts)
    changed = list(town_counts[j])
    changed[STATUS_INDEX.get(old.statuses[j], UNDECIDED_INDEX)] -= 1
    changed[STATUS_INDEX.get(mark.status, UNDECIDED_INDEX)] += 1
    town_counts[j] = tuple(changed)
    units = list(totals.town_units)
    for k in old.customizers:
        units[k] -= old.unit
    for k in new.customizers:
        units[k] += new.unit
    violations = totals.town_violations
    if prohibited:
        updated = list(violations)
        for k in old.customizers:
            updated[k] -= 1
        for k in new.customizers:
            updated[k] += 1
        violations = tuple(updated)
    rows[i] = new
    areas[area] = AreaTotals(
        totals.functions, totals.class_sum, tuple(town_counts), tuple(units), violations
    )


def risk_of(units: int, max_units: int, violation: bool = False) -> float:
    """A score from its exact integer parts: 50 × units / max_units, plus 50 when the scope
    holds a violation (0 when nothing can score)."""
    if not max_units:
        return 0.0
    return VIOLATION_BAND * units / max_units + (VIOLATION_BAND if violation else 0.0)
