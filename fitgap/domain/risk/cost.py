"""The 10-year cost lens: each town's customizations in yen over ten years, a shared build's
cost split between the towns that share it, and what leaving a customization would save.

Where the vendor has estimated a customization (its answer カスタマイズが必要), the vendor's
estimate is the build's cost instead of the towns' guesses; the lens marks it as the vendor's
and keeps the towns' figure beside it, so the difference shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.values import Cost

__all__ = [
    "CostLens",
    "CostSplit",
    "CustomizationCost",
    "FunctionCost",
    "TownCost",
    "cost_lens",
    "ten_year_cost",
]


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
    by_vendor: bool = False  # shared_cost_yen is the vendor's estimate
    towns_cost_yen: int | None = None  # the towns' own figure (the largest of their estimates)

    @property
    def difference_yen(self) -> int | None:
        """The vendor's estimate minus the towns' figure (None unless both are known)."""
        if not self.by_vendor or self.shared_cost_yen is None or self.towns_cost_yen is None:
            return None
        return self.shared_cost_yen - self.towns_cost_yen


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
    board: Scoreboard,
    split: CostSplit = CostSplit.EQUAL,
    area_id: str | None = None,
    vendor_estimates: Mapping[str, Cost] | None = None,
) -> CostLens:
    """Each town's 10-year customization cost, shared builds split between their towns.

    `vendor_estimates` maps function ids to the vendor's estimate of the customization: where
    there is one, it is the build's cost (marked `by_vendor`), not the towns' guesses."""
    vendor_estimates = vendor_estimates or {}
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
        towns_figure = max(estimates.values()) if estimates else None
        vendor_cost = vendor_estimates.get(function.id)
        shared = ten_year_cost(vendor_cost) if vendor_cost is not None else towns_figure
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
                by_vendor=vendor_cost is not None,
                towns_cost_yen=towns_figure,
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
                    group_saving_yen=_group_saving(
                        shared, estimates, row.customizers, j, by_vendor=vendor_cost is not None
                    ),
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
    shared: int | None,
    estimates: dict[int, int],
    customizers: Sequence[int],
    leaving: int,
    *,
    by_vendor: bool = False,
) -> float | None:
    if shared is None:
        return None
    if len(customizers) == 1:
        return float(shared)
    if by_vendor:
        return 0.0  # the vendor's build stays for the others at the same cost
    remaining = [cost for j, cost in estimates.items() if j != leaving]
    # The build stays for the others; without an estimate of theirs its new cost is unknown.
    return float(shared - max(remaining)) if remaining else None
