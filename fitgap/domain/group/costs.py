"""Money in integer yen: the group's terms, how a shared cost is split between towns (均等割,
人口割 or a mix) with a stated remainder rule, and what one customization costs each town.

The remainder rule: each town first gets the whole yen below its exact share; the yen left
over (fewer than the number of towns) go one each to the towns with the largest fractional
parts, ties to the town listed first (towns are listed in 団体コード order). So the shares of
every shared cost add up to the cost exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fitgap.domain.values import Cost

__all__ = [
    "GroupTerms",
    "Split",
    "customization_shares",
    "horizon_cost",
    "share_weights",
    "split_yen",
]


@dataclass(frozen=True, slots=True)
class Split:
    """How shared costs are divided: percent 均等割 (equal) + percent 人口割 (population) = 100."""

    equal: int = 100
    population: int = 0

    @property
    def needs_population(self) -> bool:
        """Whether the towns' populations take part in the split."""
        return self.population > 0


@dataclass(frozen=True, slots=True)
class GroupTerms:
    """What the group file says: the shared package's cost, the split and the horizon."""

    name: str
    years: int
    package_initial_yen: int
    package_annual_yen: int
    split: Split

    def package_yen(self, years: int) -> int:
        """The package's cost for the whole group over `years` years."""
        return self.package_initial_yen + years * self.package_annual_yen


def horizon_cost(cost: Cost, years: int) -> int:
    """A customization's cost over the horizon: initial plus `years` × annual."""
    return cost.initial_yen + years * cost.annual_yen


def share_weights(split: Split, populations: Sequence[int]) -> list[int]:
    """Integer weights whose proportions are the towns' shares under `split`.

    With n towns and P people in all, town t's share is equal/100 × 1/n + population/100 ×
    p_t/P; multiplied by 100 × n × P that is equal × P + population × n × p_t, an integer.
    """
    if not split.needs_population:
        return [1] * len(populations)
    whole = sum(populations)
    n = len(populations)
    return [split.equal * whole + split.population * n * p for p in populations]


def split_yen(total: int, weights: Sequence[int]) -> tuple[int, ...]:
    """`total` yen in integer shares proportional to `weights` (largest remainder, ties to the
    first); the shares add up to `total` exactly."""
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("weights must add up to more than zero")
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(floors)
    for k in sorted(range(len(weights)), key=lambda k: (-remainders[k], k))[:left]:
        floors[k] += 1
    return tuple(floors)


def customization_shares(
    estimates: Sequence[int | None], populations: Sequence[int], split: Split
) -> tuple[tuple[int, ...], bool]:
    """What each of the towns customizing one function pays for it over the horizon, and
    whether anyone estimated it.

    One shared system means one build, so the most demanding estimate of the towns covers
    every wish; it is split between them like every shared cost. A town customizing alone pays
    its own estimate. Without any estimate the customization costs nothing here (and is
    counted as unestimated by the caller).
    """
    known = [e for e in estimates if e is not None]
    if not known:
        return (0,) * len(estimates), False
    build = max(known)
    if len(estimates) == 1:
        return (build,), True
    return split_yen(build, share_weights(split, populations)), True
