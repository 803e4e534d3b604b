"""Who agrees with whom: for every pair of towns, the share of functions both decided the same
way (undecided ignored), the pairs that pull the group apart and the functions behind them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fitgap.domain.group.basis import CUSTOM, GroupBasis, indices_of

__all__ = ["Agreement", "PairAgreement", "agreement"]

# How many differing functions a pair names (customizations first).
FUNCTIONS_PER_PAIR = 5


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Two towns: how often they decided alike, and where they differ."""

    a: str
    b: str
    both_decided: int  # functions both towns decided
    same: int  # of those, the ones decided the same way
    customization_splits: int  # of the differing ones, those where just one of them customizes
    functions: tuple[str, ...]  # a few differing function ids, customization splits first

    @property
    def rate(self) -> float | None:
        """The share decided alike, 0–1 (None when they have no decided function in common)."""
        return self.same / self.both_decided if self.both_decided else None

    @property
    def differing(self) -> int:
        """Functions both decided, differently."""
        return self.both_decided - self.same


@dataclass(frozen=True, slots=True)
class Agreement:
    """The town × town agreement matrix of one subset."""

    town_ids: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]  # every pair once, in town order

    def rate(self, a: str, b: str) -> float | None:
        """The agreement of two towns; 1.0 for a town with itself."""
        if a == b:
            return 1.0
        for pair in self.pairs:
            if {pair.a, pair.b} == {a, b}:
                return pair.rate
        raise KeyError((a, b))

    def pulling_apart(self, limit: int = 3) -> tuple[PairAgreement, ...]:
        """The pairs that agree least (with something to compare), lowest first."""
        compared = [p for p in self.pairs if p.rate is not None and p.differing]
        compared.sort(key=lambda p: (p.rate, -p.customization_splits, p.a, p.b))
        return tuple(compared[:limit])


def agreement(basis: GroupBasis, town_ids: Iterable[str]) -> Agreement:
    """Every pair's agreement among the given towns (in the basis' order)."""
    chosen = basis.indices(town_ids)
    bits = basis.status_bits
    decided = basis.decided_bits
    ids = basis.function_ids
    pairs: list[PairAgreement] = []
    for x, a in enumerate(chosen):
        for b in chosen[x + 1 :]:
            both = decided[a] & decided[b]
            same_bits = 0
            for k in range(4):
                same_bits |= bits[a][k] & bits[b][k]
            differing = both & ~same_bits
            splits = (bits[a][CUSTOM] ^ bits[b][CUSTOM]) & both
            named = indices_of(splits, FUNCTIONS_PER_PAIR)
            if len(named) < FUNCTIONS_PER_PAIR:
                named += indices_of(differing & ~splits, FUNCTIONS_PER_PAIR - len(named))
            pairs.append(
                PairAgreement(
                    a=basis.towns[a].id,
                    b=basis.towns[b].id,
                    both_decided=both.bit_count(),
                    same=same_bits.bit_count(),
                    customization_splits=splits.bit_count(),
                    functions=tuple(ids[i] for i in named),
                )
            )
    return Agreement(tuple(basis.towns[j].id for j in chosen), tuple(pairs))
