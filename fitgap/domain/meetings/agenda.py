"""The agenda a new meeting proposes: which of an area's functions are worth the room's time."""

from __future__ import annotations

from collections.abc import Collection

from fitgap.domain.risk.divergence import DivergenceKind
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import BestAsk
from fitgap.domain.values import Priority, Requirement

# How readily the customizing towns may let a customization go, from their own priorities:
# nobody needs it (every one said 要望 or 不要) < not all said < somebody needs it (必須).
WISH, UNSTATED, NEEDED = 0, 1, 2


def need_of(board: Scoreboard, ask: BestAsk) -> int:
    """WISH when every customizing town marked the function 要望 or 不要, NEEDED when one
    marked it 必須 (a law or an ordinance), UNSTATED otherwise."""
    priorities = []
    for town_id in ask.towns:
        mark = board.mark(town_id, ask.function_id)
        priorities.append(mark.priority if mark is not None else None)
    if Priority.REQUIRED in priorities:
        return NEEDED
    if all(p in (Priority.WANTED, Priority.NOT_NEEDED) for p in priorities):
        return WISH
    return UNSTATED


def proposed_agenda(board: Scoreboard, area_id: str, *, exclude: Collection[str] = ()) -> list[str]:
    """The area's functions worth discussing, most valuable first.

    Violations (customized prohibited functions) come first. Then the other customized ones:
    those that the customizing towns themselves call a wish (a lone 要望-level customization is
    the easiest ask of all), then those without a stated priority, then those some town needs
    (必須), which need their justification recorded anyway; within each, by how much the
    group's risk would drop if every customizing town moved to a workflow change. Then the
    other divergent ones (fit against workflow change, not applicable against use), by
    function id.
    """
    asks = sorted(
        board.function_asks(area_id),
        key=lambda a: (
            a.requirement is not Requirement.PROHIBITED,
            need_of(board, a),
            -a.group_drop,
            a.function_id,
        ),
    )
    ranked = [ask.function_id for ask in asks]
    seen = set(ranked)
    rest = sorted(
        d.function_id
        for d in board.divergences(area_id)
        if d.kind is not DivergenceKind.NONE and d.function_id not in seen
    )
    return [f for f in ranked + rest if f not in exclude]
