"""The agenda a new meeting proposes: which of an area's functions are worth the room's time."""

from __future__ import annotations

from collections.abc import Collection

from fitgap.domain.risk.divergence import DivergenceKind
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.values import Requirement


def proposed_agenda(board: Scoreboard, area_id: str, *, exclude: Collection[str] = ()) -> list[str]:
    """The area's functions worth discussing, most valuable first.

    Violations (customized prohibited functions) come first, then the other customized ones,
    each by how much the group's risk would drop if every customizing
    town moved to a workflow change; then the other divergent ones (fit against workflow
    change, not applicable against use), by function id.
    """
    asks = sorted(
        board.function_asks(area_id),
        key=lambda a: (a.requirement is not Requirement.PROHIBITED, -a.group_drop, a.function_id),
    )
    ranked = [ask.function_id for ask in asks]
    seen = set(ranked)
    rest = sorted(
        d.function_id
        for d in board.divergences(area_id)
        if d.kind is not DivergenceKind.NONE and d.function_id not in seen
    )
    return [f for f in ranked + rest if f not in exclude]
