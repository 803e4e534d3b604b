"""The group basis: every candidate town's verdicts and customization estimates, prepared once,
so that any subset of towns can be evaluated quickly — each town's cost and merit over the
horizon, the subset's Galapagos risk, divergence and counts.

Verdicts are kept as one bitset per town and status (bit i = function i), so a subset's
divergence and the agreement of two towns are a few integer operations however large the
catalog. Customized functions are kept in a list with their customizers as a bitmask over the
towns; a subset only visits those.

The risk is the same formula as fitgap.domain.risk (docs/galapagos-risk.md), computed over the
subset's towns only: n = |S|, m = the towns of S that customize the function.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fitgap.domain.group.costs import (
    GroupTerms,
    customization_shares,
    horizon_cost,
    share_weights,
    split_yen,
)
from fitgap.domain.i18n import _
from fitgap.domain.risk.divergence import CLASS_WEIGHTS, risk_of
from fitgap.domain.risk.scores import FunctionLike
from fitgap.domain.values import Cost, Mark, Requirement, Status, Town

__all__ = [
    "DECIDED",
    "CustomizedFunction",
    "GroupBasis",
    "GroupError",
    "GroupResult",
    "TownMerit",
    "bits_of",
    "indices_of",
]

# The four verdicts, in the order of each town's bitsets; anything else is undecided.
DECIDED: tuple[Status, ...] = (
    Status.FIT,
    Status.WORKFLOW_CHANGE,
    Status.CUSTOMIZATION,
    Status.NOT_APPLICABLE,
)
_DECIDED_INDEX = {s: k for k, s in enumerate(DECIDED)}
CUSTOM = 2


class GroupError(ValueError):
    """Towns that cannot be evaluated (unknown, or without the figures the merit needs)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(problems))


def bits_of(indices: Iterable[int], size: int) -> int:
    """An integer with the given bits set (built through bytes: linear, not quadratic)."""
    raw = bytearray((size + 7) // 8 or 1)
    for i in indices:
        raw[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(raw, "little")


def indices_of(bits: int, limit: int | None = None) -> list[int]:
    """The positions of the set bits, lowest first (at most `limit` of them)."""
    found: list[int] = []
    while bits and (limit is None or len(found) < limit):
        low = bits & -bits
        found.append(low.bit_length() - 1)
        bits ^= low
    return found


@dataclass(frozen=True, slots=True)
class CustomizedFunction:
    """A function some candidate customizes: who (a bitmask over the basis' towns), with what
    estimate each, and its class weight."""

    index: int
    customizers: int
    estimates: tuple[tuple[int, Cost | None], ...]  # (town index, estimate), town order
    weight: int
    prohibited: bool


@dataclass(frozen=True, slots=True)
class TownMerit:
    """One town inside a subset: what it pays over the horizon, against its current system."""

    town_id: str
    name: str
    population: int | None
    current_yen: int  # its own system over the horizon
    package_yen: int  # its share of the shared package
    shared_yen: int  # its shares of the customizations it shares with others in the subset
    lone_yen: int  # the customizations only it asks for
    migration_yen: int
    customizations: int
    lone: int
    unestimated: int  # customizations nobody in the subset gave a cost for
    risk: float  # the town's Galapagos risk inside the subset

    @property
    def group_yen(self) -> int:
        """Everything it pays in the group over the horizon."""
        return self.package_yen + self.shared_yen + self.lone_yen + self.migration_yen

    @property
    def merit_yen(self) -> int:
        """What it saves over the horizon compared with staying on its own system."""
        return self.current_yen - self.group_yen

    @property
    def merit_per_resident_yen(self) -> float | None:
        """The merit per resident (None without a population)."""
        return self.merit_yen / self.population if self.population else None


@dataclass(frozen=True, slots=True)
class GroupResult:
    """One subset of towns evaluated over one horizon."""

    town_ids: tuple[str, ...]
    years: int
    risk: float
    divergent: int
    customizations: int
    violations: int
    undecided: int
    merits: tuple[TownMerit, ...]

    @property
    def min_merit_yen(self) -> int:
        """The smallest merit of its towns (what the least favoured town gains)."""
        return min(m.merit_yen for m in self.merits)

    @property
    def everyone_gains(self) -> bool:
        """Whether every town's merit is at least zero."""
        return all(m.merit_yen >= 0 for m in self.merits)


class GroupBasis:
    """Candidate towns, the catalog and the marks, prepared for evaluating subsets."""

    def __init__(
        self,
        functions: Sequence[FunctionLike],
        towns: Sequence[Town],
        marks: Iterable[Mark],
        terms: GroupTerms,
    ) -> None:
        self.terms = terms
        self.towns = tuple(towns)
        self.function_ids = tuple(f.id for f in functions)
        self.town_index = {t.id: j for j, t in enumerate(self.towns)}
        size = len(self.function_ids)
        function_index = {f: i for i, f in enumerate(self.function_ids)}
        weights = [CLASS_WEIGHTS[f.requirement] for f in functions]
        prohibited = [f.requirement is Requirement.PROHIBITED for f in functions]
        self.class_sum = sum(weights)
        positions: list[list[list[int]]] = [[[], [], [], []] for _t in self.towns]
        customized: dict[int, list[tuple[int, Cost | None]]] = {}
        latest: dict[tuple[int, int], Mark] = {}
        for mark in marks:
            i = function_index.get(mark.function_id)
            j = self.town_index.get(mark.town_id)
            if i is not None and j is not None:
                latest[(j, i)] = mark  # a later mark for the same cell replaces an earlier one
        for (j, i), mark in sorted(latest.items()):
            k = _DECIDED_INDEX.get(mark.status)
            if k is None:
                continue
            positions[j][k].append(i)
            if k == CUSTOM:
                customized.setdefault(i, []).append((j, mark.cost))
        self.status_bits: tuple[tuple[int, ...], ...] = tuple(
            tuple(bits_of(p, size) for p in per_town) for per_town in positions
        )
        self.decided_bits = tuple(a | b | c | d for a, b, c, d in self.status_bits)
        self.customized = tuple(
            CustomizedFunction(
                index=i,
                customizers=sum(1 << j for j, _c in towns_of),
                estimates=tuple(sorted(towns_of, key=lambda e: e[0])),
                weight=weights[i],
                prohibited=prohibited[i],
            )
            for i, towns_of in sorted(customized.items())
        )

    # -- checks ----------------------------------------------------------------------------

    def indices(self, town_ids: Iterable[str]) -> list[int]:
        """The basis indices of the towns, in basis order; GroupError names unknown ones."""
        wanted = list(dict.fromkeys(town_ids))
        unknown = [t for t in wanted if t not in self.town_index]
        if unknown:
            raise GroupError([_("町ID %(id)s は登録されていません", id=t) for t in unknown])
        return sorted(self.town_index[t] for t in wanted)

    def problems(self, indices: Iterable[int]) -> list[str]:
        """What is missing to compute these towns' merits (empty when nothing is)."""
        found: list[str] = []
        for j in indices:
            town = self.towns[j]
            if town.current_annual_yen is None:
                found.append(
                    _(
                        "%(town)s（%(file)s）に current_system.annual_yen がありません",
                        town=town.name,
                        file=town.source or town.id,
                    )
                )
            if self.terms.split.needs_population and not town.population:
                found.append(
                    _(
                        "%(town)s（%(file)s）に population がありません（人口割に必要です）",
                        town=town.name,
                        file=town.source or town.id,
                    )
                )
        return found

    def population(self, j: int) -> int:
        """A town's population for the split (0 when unknown: only checked towns get here)."""
        return self.towns[j].population or 0

    # -- one subset ------------------------------------------------------------------------

    def evaluate(self, town_ids: Iterable[str], years: int | None = None) -> GroupResult:
        """Costs, merits, risk and divergence of one subset of towns over `years` (default:
        the group file's horizon)."""
        chosen = self.indices(town_ids)
        if not chosen:
            raise GroupError([_("町を一つ以上選んでください")])
        problems = self.problems(chosen)
        if problems:
            raise GroupError(problems)
        return self._evaluate(chosen, years or self.terms.years)

    def _evaluate(self, chosen: list[int], years: int) -> GroupResult:
        n = len(chosen)
        subset = sum(1 << j for j in chosen)
        split = self.terms.split
        shared = dict.fromkeys(chosen, 0)
        lone = dict.fromkeys(chosen, 0)
        count = dict.fromkeys(chosen, 0)
        lone_count = dict.fromkeys(chosen, 0)
        unestimated = dict.fromkeys(chosen, 0)
        units = dict.fromkeys(chosen, 0)
        town_violations = dict.fromkeys(chosen, 0)
        group_units = 0
        violations = 0
        for function in self.customized:
            inside = function.customizers & subset
            if not inside:
                continue
            members = [(j, c) for j, c in function.estimates if inside >> j & 1]
            m = len(members)
            unit = function.weight * (2 * n - m)
            group_units += unit * m
            if function.prohibited:
                violations += m
            shares, known = customization_shares(
                [horizon_cost(c, years) if c is not None else None for _j, c in members],
                [self.population(j) for j, _c in members],
                split,
            )
            for (j, _c), share in zip(members, shares, strict=True):
                units[j] += unit
                count[j] += 1
                if function.prohibited:
                    town_violations[j] += 1
                if m == 1:
                    lone[j] += share
                    lone_count[j] += 1
                else:
                    shared[j] += share
                if not known:
                    unestimated[j] += 1
        package = split_yen(
            self.terms.package_yen(years),
            share_weights(split, [self.population(j) for j in chosen]),
        )
        town_max = (2 * n - 1) * self.class_sum
        merits = tuple(
            TownMerit(
                town_id=self.towns[j].id,
                name=self.towns[j].name,
                population=self.towns[j].population,
                current_yen=years * (self.towns[j].current_annual_yen or 0),
                package_yen=package[k],
                shared_yen=shared[j],
                lone_yen=lone[j],
                migration_yen=self.towns[j].migration_yen or 0,
                customizations=count[j],
                lone=lone_count[j],
                unestimated=unestimated[j],
                # The violation band of the risk engine (docs/galapagos-risk.md).
                risk=risk_of(units[j], town_max, town_violations[j] > 0),
            )
            for k, j in enumerate(chosen)
        )
        return GroupResult(
            town_ids=tuple(self.towns[j].id for j in chosen),
            years=years,
            risk=risk_of(group_units, n * n * self.class_sum, violations > 0),
            divergent=self.divergent_bits(chosen).bit_count(),
            customizations=sum(count.values()),
            violations=violations,
            undecided=sum(self._undecided(j) for j in chosen),
            merits=merits,
        )

    def _undecided(self, j: int) -> int:
        return len(self.function_ids) - self.decided_bits[j].bit_count()

    def divergent_bits(self, chosen: Iterable[int]) -> int:
        """The functions on which the decided verdicts of these towns are not all the same."""
        seen = [0, 0, 0, 0]
        for j in chosen:
            for k, bits in enumerate(self.status_bits[j]):
                seen[k] |= bits
        divergent = 0
        for a in range(4):
            for b in range(a + 1, 4):
                divergent |= seen[a] & seen[b]
        return divergent
