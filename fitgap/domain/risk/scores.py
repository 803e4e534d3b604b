"""What the scoreboard answers: scores with their counts and contributions, divergences, asks
and their evidence, as immutable values; and how a risk is rounded for display.

A module of its own so that the steering, cost and report modules can name these results
without importing the scoreboard's engine (and the scoreboard module stays under ~600 lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from fitgap.domain.i18n import _
from fitgap.domain.labels import divergence_advice, divergence_label
from fitgap.domain.risk.divergence import DivergenceKind
from fitgap.domain.values import Requirement, Status
from fitgap.domain.vendor import VendorAnswer

__all__ = [
    "AreaScore",
    "BestAsk",
    "Contribution",
    "Divergence",
    "Evidence",
    "FunctionLike",
    "FunctionScore",
    "GroupScore",
    "Score",
    "StatusCounts",
    "TownLike",
    "TownScore",
    "UnknownAreaError",
    "format_risk",
    "round_risk",
]


class FunctionLike(Protocol):
    """What the engine needs of a catalog function (values.Function fits)."""

    @property
    def id(self) -> str: ...

    @property
    def area_id(self) -> str: ...

    @property
    def requirement(self) -> Requirement: ...


class TownLike(Protocol):
    """What the engine needs of a town (values.Town fits); a `name` is used when present."""

    @property
    def id(self) -> str: ...

    @property
    def population(self) -> int | None: ...


class UnknownAreaError(ValueError):
    """An area id that is not in the catalog the scoreboard was built from."""

    def __init__(self, area_id: str) -> None:
        super().__init__(_("業務 %(area)s はカタログにありません。", area=area_id))
        self.area_id = area_id


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
    # The vendor's current answer on the function (steering.with_answers), if any.
    answer: VendorAnswer | None = None


_TENTH = Decimal("0.1")


def round_risk(value: float) -> float:
    """A risk rounded to one decimal, half up, for display and JSON."""
    # 四捨五入 of the number as printed (43.75 -> 43.8, 12.25 -> 12.3), as people round by
    # hand; Python's round() would send exact halves to the even digit (12.25 -> 12.2).
    return float(Decimal(repr(value)).quantize(_TENTH, rounding=ROUND_HALF_UP))


def format_risk(value: float) -> str:
    """A risk as printed: one decimal, rounded half up (43.8)."""
    return f"{round_risk(value):.1f}"
