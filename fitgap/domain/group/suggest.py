"""Suggestions: the subsets of the candidate towns in which every town's merit is ≥ 0, lowest
Galapagos risk first, each with the one-line reason a consultant would give.

Up to EXHAUSTIVE_LIMIT candidates every subset of two or more towns is checked, exactly. To do
that in seconds, nothing is recomputed per subset from the functions:
- a town's customization cost in a subset S only depends on S ∩ M for each customized
  function (M: its customizers). Each distinct (M, estimates) is priced once for every
  T ⊆ M, turned into its Möbius differences, and one subset-sum (zeta) transform per town
  gives the town's customization cost for all 2^n subsets at once, in exact integer yen;
- the risk's units Σ c·m·(2n − m) = 2n·Σ c·m − Σ c·m² come from per-town sums and per-pair
  sums of the class weights (the same zeta transform);
- the package share is split per subset (it depends only on the towns' populations).

Beyond that (a documented heuristic, not exhaustive): from all candidates, every town whose
merit is negative leaves, round after round, until everyone gains; from there the town with
the highest risk leaves, up to HEURISTIC_RISK_STEPS times, while everyone still gains. Every
subset met on the way in which everyone gains is suggested.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fitgap.domain.group.basis import GroupBasis, GroupError
from fitgap.domain.group.costs import customization_shares, horizon_cost, share_weights, split_yen
from fitgap.domain.i18n import _
from fitgap.domain.i18n import yen as format_yen
from fitgap.domain.risk.divergence import risk_of
from fitgap.domain.risk.scores import format_risk

__all__ = ["EXHAUSTIVE_LIMIT", "MIN_TOWNS", "Suggestion", "suggest"]

EXHAUSTIVE_LIMIT = 16
MIN_TOWNS = 2  # one town alone is not a group
HEURISTIC_RISK_STEPS = 4  # beyond the exhaustive limit: how many riskiest towns to try leaving


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A subset in which every town gains, with its risk and the least favoured town's merit."""

    town_ids: tuple[str, ...]
    risk: float
    min_merit_yen: int
    reason: str


def suggest(
    basis: GroupBasis, candidates: Iterable[str], years: int | None = None
) -> tuple[Suggestion, ...]:
    """Every subset (of two or more candidates) in which each town's merit is ≥ 0, lowest risk
    first (then more towns, then the larger smallest merit)."""
    chosen = basis.indices(candidates)
    problems = basis.problems(chosen)
    if problems:
        raise GroupError(problems)
    horizon = years or basis.terms.years
    if len(chosen) <= EXHAUSTIVE_LIMIT:
        found = _exhaustive(basis, chosen, horizon)
    else:
        found = _heuristic(basis, chosen, horizon)
    found.sort(key=lambda f: (f[1], -len(f[0]), -f[2], f[0]))
    names = [t.name for t in basis.towns]
    return tuple(
        Suggestion(
            town_ids=tuple(basis.towns[j].id for j in towns),
            risk=risk,
            min_merit_yen=least,
            reason=_reason(
                [names[j] for j in towns], [names[j] for j in chosen if j not in towns], risk, least
            ),
        )
        for towns, risk, least in found
    )


def _reason(inside: Sequence[str], left_out: Sequence[str], risk: float, least: int) -> str:
    """The one line a consultant would say about a suggestion."""
    yen = format_yen(least)
    if not left_out:
        return _(
            "候補の%(n)s町すべてにメリットがあります（最も少ない町でも %(yen)s）。リスク %(risk)s",
            n=len(inside),
            yen=yen,
            risk=format_risk(risk),
        )
    if len(left_out) <= len(inside):
        return _(
            "%(names)sが加わらなければ、%(n)s町のどの町にもメリットがあります"
            "（最も少ない町でも %(yen)s）。リスク %(risk)s",
            names="・".join(left_out),
            n=len(inside),
            yen=yen,
            risk=format_risk(risk),
        )
    return _(
        "%(names)sの%(n)s町なら、どの町にもメリットがあります（最も少ない町でも %(yen)s）。"
        "ほかの%(others)s町は加わりません。リスク %(risk)s",
        names="・".join(inside),
        n=len(inside),
        others=len(left_out),
        yen=yen,
        risk=format_risk(risk),
    )


Found = tuple[tuple[int, ...], float, int]  # basis indices, risk, smallest merit


def _zeta(values: list[int], bits: int) -> list[int]:
    """Subset sums: result[S] = Σ values[T] over T ⊆ S."""
    size = len(values)
    for b in range(bits):
        step = 1 << b
        values = [values[s] + values[s ^ step] if s & step else values[s] for s in range(size)]
    return values


def _customization_costs(
    basis: GroupBasis, chosen: Sequence[int], years: int
) -> tuple[list[list[int]], list[int], list[int]]:
    """Per local town k and subset S: its customization cost; and the per-town and per-pair
    class-weight sums for the risk (l[k], q[S] for |S| ≤ 2)."""
    n = len(chosen)
    size = 1 << n
    local = {j: k for k, j in enumerate(chosen)}
    populations = [basis.population(j) for j in chosen]
    split = basis.terms.split
    groups: dict[tuple[tuple[int, int | None], ...], int] = defaultdict(int)
    weight_sum = [0] * n
    pair_sums = [0] * size
    for function in basis.customized:
        members = tuple(
            (local[j], horizon_cost(c, years) if c is not None else None)
            for j, c in function.estimates
            if j in local
        )
        if not members:
            continue
        groups[members] += 1
        for x, (k, _e) in enumerate(members):
            weight_sum[k] += function.weight
            for u, _f in members[x + 1 :]:
                pair_sums[(1 << k) | (1 << u)] += 2 * function.weight
    differences = [[0] * size for _k in range(n)]
    for members, count in groups.items():
        towns = [k for k, _e in members]
        m = len(towns)
        if m == 1:
            differences[towns[0]][1 << towns[0]] += count * (members[0][1] or 0)
            continue
        # G[b][x]: what member b pays when exactly the members in x customize in the subset.
        priced = [[0] * (1 << m) for _b in range(m)]
        for x in range(1, 1 << m):
            inside = [b for b in range(m) if x >> b & 1]
            shares, _known = customization_shares(
                [members[b][1] for b in inside], [populations[towns[b]] for b in inside], split
            )
            for b, share in zip(inside, shares, strict=True):
                priced[b][x] = share
        for b in range(m):
            values = priced[b]
            for bit in range(m):  # Möbius transform over the subsets of the members
                step = 1 << bit
                for x in range(1 << m):
                    if x & step:
                        values[x] -= values[x ^ step]
            row = differences[towns[b]]
            for x in range(1, 1 << m):
                if values[x]:
                    row[sum(1 << towns[c] for c in range(m) if x >> c & 1)] += count * values[x]
    for k in range(n):
        pair_sums[1 << k] += weight_sum[k]
    return [_zeta(row, n) for row in differences], weight_sum, _zeta(pair_sums, n)


def _exhaustive(basis: GroupBasis, chosen: Sequence[int], years: int) -> list[Found]:
    n = len(chosen)
    size = 1 << n
    costs, weight_sum, squares = _customization_costs(basis, chosen, years)
    populations = [basis.population(j) for j in chosen]
    budget = [
        years * (basis.towns[j].current_annual_yen or 0) - (basis.towns[j].migration_yen or 0)
        for j in chosen
    ]
    split = basis.terms.split
    package = basis.terms.package_yen(years)
    # Towns (bits of `chosen`) that customize a prohibited function: a subset holding one of
    # them carries the risk engine's violation band.
    local = {j: k for k, j in enumerate(chosen)}
    violators = 0
    for function in basis.customized:
        if function.prohibited:
            for j, _cost in function.estimates:
                if j in local:
                    violators |= 1 << local[j]
    linear = [0] * size
    for s in range(1, size):
        low = (s & -s).bit_length() - 1
        linear[s] = linear[s & (s - 1)] + weight_sum[low]
    found: list[Found] = []
    for s in range(3, size):
        if not s & (s - 1):
            continue  # one town alone
        members = [k for k in range(n) if s >> k & 1]
        shares = split_yen(package, share_weights(split, [populations[k] for k in members]))
        least = min(budget[k] - shares[x] - costs[k][s] for x, k in enumerate(members))
        if least < 0:
            continue
        m = len(members)
        units = 2 * m * linear[s] - squares[s]
        risk = risk_of(units, m * m * basis.class_sum, bool(s & violators))
        found.append((tuple(chosen[k] for k in members), risk, least))
    return found


def _heuristic(basis: GroupBasis, chosen: Sequence[int], years: int) -> list[Found]:
    found: dict[tuple[int, ...], Found] = {}
    current = list(chosen)
    while len(current) >= MIN_TOWNS:
        result = basis._evaluate(current, years)
        if result.everyone_gains:
            break
        # Every town that loses leaves at once (a handful of rounds, not one per town).
        current = [j for j, m in zip(current, result.merits, strict=True) if m.merit_yen >= 0]
    else:
        return []
    for _step in range(HEURISTIC_RISK_STEPS):
        if len(current) < MIN_TOWNS:
            break
        result = basis._evaluate(current, years)
        if not result.everyone_gains:
            break
        found[tuple(current)] = (tuple(current), result.risk, result.min_merit_yen)
        riskiest = max(range(len(current)), key=lambda x: (result.merits[x].risk, -x))
        if result.merits[riskiest].risk <= 0:
            break
        del current[riskiest]
    return list(found.values())
