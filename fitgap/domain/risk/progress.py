"""Progress over time: the group's (and each town's) risk, customizations and violations as
they stood at the start, at each meeting and now, replayed from the mark history.

The history is replayed through the scoreboard in one batch per checkpoint
(`Scoreboard.with_marks` copies its tables once per batch), so a project's whole history of
600,000 changes costs one pass. The catalog and towns are today's: a function that was added
later simply had no mark before. Pure Python: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from fitgap.domain.risk.scoreboard import galapagos_risk
from fitgap.domain.risk.scores import FunctionLike, Score, TownLike
from fitgap.domain.values import Mark

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
    is the mark's state after it, dated in local time)."""
    town_list = tuple(towns)
    board = galapagos_risk(functions, town_list, ())
    group: list[Figures] = []
    by_town: dict[str, list[Figures]] = {t.id: [] for t in town_list}
    pending: list[Mark] = []
    it = iter(changes)
    ahead: tuple[date, Mark] | None = next(it, None)
    for point in points:
        while ahead is not None and ahead[0] <= point.day:
            pending.append(ahead[1])
            ahead = next(it, None)
        board = board.with_marks(pending)
        pending.clear()
        group.append(Figures.of(board.group_score(area_id, breakdown=False)))
        for town in board.town_scores(area_id, breakdown=False):
            by_town[town.id].append(Figures.of(town))
    return Progress(
        checkpoints=tuple(points),
        group=tuple(group),
        towns={town_id: tuple(figures) for town_id, figures in by_town.items()},
    )
