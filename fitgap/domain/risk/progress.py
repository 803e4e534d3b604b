"""Progress over time: the group's (and each town's) risk, customizations and violations as
they stood at the start, at each meeting and now, replayed from the mark history.

The history is replayed cell by cell with the scoreboard's rules, keeping only counts and
units, so a project's whole history of 600,000 changes costs one pass of a few seconds. The
catalog and towns are today's: a function added later simply had no mark before. Changes are
taken in the order they were written; one dated after the next checkpoint waits for it.
Pure Python: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from fitgap.domain.risk.divergence import CLASS_WEIGHTS, risk_of
from fitgap.domain.risk.scores import FunctionLike, Score, TownLike
from fitgap.domain.values import Mark, Requirement, Status

# The verdicts; anything else (undecided, or a status fitgap does not know) counts as undecided.
_DECIDED = frozenset(
    (Status.FIT, Status.WORKFLOW_CHANGE, Status.CUSTOMIZATION, Status.NOT_APPLICABLE)
)

__all__ = ["Checkpoint", "Figures", "Progress", "checkpoints", "replay"]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A day the progress is read at (at its end), and the meetings held that day."""

    day: date
    meetings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Figures:
    """What a score stood at on one checkpoint."""

    risk: float
    customizations: int
    violations: int
    undecided: int

    @classmethod
    def of(cls, score: Score) -> Figures:
        """The figures of a score."""
        return cls(score.risk, score.customizations, score.violations, score.undecided)


@dataclass(frozen=True, slots=True)
class Progress:
    """The checkpoints with the group's figures and each town's, in time order."""

    checkpoints: tuple[Checkpoint, ...]
    group: tuple[Figures, ...]
    towns: dict[str, tuple[Figures, ...]]  # town id -> one Figures per checkpoint

    def first_and_last(self) -> tuple[Figures, Figures] | None:
        """The group at the first and at the last checkpoint (None without any)."""
        if not self.group:
            return None
        return self.group[0], self.group[-1]


def checkpoints(
    change_days: Sequence[date], meetings: Iterable[tuple[date, str]], today: date
) -> tuple[Checkpoint, ...]:
    """The start (the first day anything was marked), every meeting day up to today, and
    today. Without any meeting, the end of each month between start and today instead."""
    if not change_days:
        return ()
    start = min(change_days)
    held: dict[date, list[str]] = {}
    for day, label in meetings:
        if start <= day <= today:
            held.setdefault(day, []).append(label)
    days = {start, today, *held}
    if not held:
        year, month = start.year, start.month
        while True:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            month_end = date.fromordinal(date(year, month, 1).toordinal() - 1)
            if month_end >= today:
                break
            days.add(month_end)
    return tuple(Checkpoint(day, tuple(held.get(day, ()))) for day in sorted(days))


def replay(
    functions: Iterable[FunctionLike],
    towns: Iterable[TownLike],
    changes: Iterable[tuple[date, Mark]],
    points: Sequence[Checkpoint],
    area_id: str | None = None,
) -> Progress:
    """The figures at each checkpoint from the history of changes, oldest first (each change
    is the mark's state after it, dated in local time).

    Only the counts and units are kept, cell by cell, with the scoreboard's rules (units
    c(2n − m) per customizing town, risk_of with its violation band): a change costs a few
    operations per town sharing the function, so a year of 600,000 changes replays in
    seconds. tests/test_progress.py checks it against a full score at every checkpoint."""
    function_list = [f for f in functions if area_id is None or f.area_id == area_id]
    town_list = tuple(towns)
    n = len(town_list)
    function_index = {f.id: i for i, f in enumerate(function_list)}
    town_index = {t.id: j for j, t in enumerate(town_list)}
    weights = [CLASS_WEIGHTS[f.requirement] for f in function_list]
    prohibited = [f.requirement is Requirement.PROHIBITED for f in function_list]
    class_sum = sum(weights)
    group_max = n * n * class_sum
    town_max = (2 * n - 1) * class_sum

    decided: dict[tuple[int, int], bool] = {}  # cells with a verdict (not undecided)
    customizers: dict[int, set[int]] = {}  # function -> customizing towns
    units = [0] * n
    custom = [0] * n
    violations = [0] * n
    undecided = [len(function_list)] * n

    def apply(i: int, j: int, status: Status) -> None:
        cell = (i, j)
        was_decided = decided.get(cell, False)
        now_decided = status in _DECIDED
        if was_decided != now_decided:
            undecided[j] += -1 if now_decided else 1
            decided[cell] = now_decided
        group = customizers.setdefault(i, set())
        was_custom = j in group
        now_custom = status is Status.CUSTOMIZATION
        if was_custom == now_custom:
            return
        w = weights[i]
        if now_custom:
            for k in group:  # each becomes a little less alone
                units[k] -= w
            group.add(j)
            units[j] += w * (2 * n - len(group))
        else:
            units[j] -= w * (2 * n - len(group))
            group.discard(j)
            for k in group:
                units[k] += w
        step = 1 if now_custom else -1
        custom[j] += step
        if prohibited[i]:
            violations[j] += step

    group_figures: list[Figures] = []
    by_town: dict[str, list[Figures]] = {t.id: [] for t in town_list}
    it = iter(changes)
    ahead: tuple[date, Mark] | None = next(it, None)
    for point in points:
        while ahead is not None and ahead[0] <= point.day:
            mark = ahead[1]
            i = function_index.get(mark.function_id)
            j = town_index.get(mark.town_id)
            if i is not None and j is not None:  # as the scoreboard: others do not count
                apply(i, j, mark.status)
            ahead = next(it, None)
        total_violations = sum(violations)
        group_figures.append(
            Figures(
                risk_of(sum(units), group_max, total_violations > 0),
                sum(custom),
                total_violations,
                sum(undecided),
            )
        )
        for j, town in enumerate(town_list):
            by_town[town.id].append(
                Figures(
                    risk_of(units[j], town_max, violations[j] > 0),
                    custom[j],
                    violations[j],
                    undecided[j],
                )
            )
    return Progress(
        checkpoints=tuple(points),
        group=tuple(group_figures),
        towns={town_id: tuple(figures) for town_id, figures in by_town.items()},
    )
