"""A scoreboard built straight from arrays of the marks, for whole projects read from a database.

galapagos_risk takes one Mark object per mark: at 600,000 marks making those objects costs
more than the scoring. `from_columns` takes what the engine really works on instead: per
function (catalog order) the towns' statuses, a bit set of the towns that have a mark, and the
notes and costs of the few marks that carry one. The rows keep their marks as a MarkRow, which
makes a Mark only when one is asked for (evidence, cost lens, `Scoreboard.mark`).

Both constructors give the same board (tests/test_score_columns.py compares them).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from fitgap.domain.risk.build import assemble, indexed
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import FunctionLike, TownLike
from fitgap.domain.values import Cost, Mark, Priority, Status

__all__ = ["STATUS_OF", "MarkColumns", "MarkRow", "from_columns"]

# A database's status text to the engine's Status (a KeyError for anything else).
STATUS_OF: dict[str, Status] = {s.value: s for s in Status}


# What a mark carries besides its status: note, cost estimate, priority (優先度), as-is (現行運用).
Details = tuple[str | None, Cost | None, Priority | None, str | None]
_NO_DETAILS: Details = (None, None, None, None)


@dataclass(slots=True)
class MarkColumns:
    """The marks of n towns on the catalog's functions, as arrays indexed like the catalog.

    statuses[i][j]: town j's status on function i (UNDECIDED where it has no mark);
    marked[i]: bit j is set when town j has a mark on function i;
    details[i]: {j: (note, cost, priority, as_is)} for the marks of function i that carry any.
    """

    statuses: list[list[Status]]
    marked: list[int]
    details: list[dict[int, Details] | None] = field(default_factory=list)

    @classmethod
    def empty(cls, n_functions: int, n_towns: int) -> MarkColumns:
        """No marks at all: every cell undecided."""
        return cls(
            statuses=[[Status.UNDECIDED] * n_towns for _i in range(n_functions)],
            marked=[0] * n_functions,
            details=[None] * n_functions,
        )


class MarkRow(Sequence[Mark | None]):
    """One function's marks, made on demand from its statuses, bit set and details."""

    __slots__ = ("_details", "_function_id", "_marked", "_statuses", "_town_ids")

    def __init__(
        self,
        function_id: str,
        town_ids: tuple[str, ...],
        statuses: Sequence[Status],
        marked: int,
        details: dict[int, Details] | None,
    ) -> None:
        self._function_id = function_id
        self._town_ids = town_ids
        self._statuses = statuses
        self._marked = marked
        self._details = details

    def _mark(self, j: int) -> Mark | None:
        if not (self._marked >> j) & 1:
            return None
        note, cost, priority, as_is = (self._details or {}).get(j, _NO_DETAILS)
        return Mark(
            town_id=self._town_ids[j],
            function_id=self._function_id,
            status=self._statuses[j],
            note=note,
            cost=cost,
            priority=priority,
            as_is=as_is,
        )

    @overload
    def __getitem__(self, index: int) -> Mark | None: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Mark | None]: ...

    def __getitem__(self, index: int | slice) -> Mark | Sequence[Mark | None] | None:
        n = len(self._town_ids)
        if isinstance(index, slice):
            return tuple(self._mark(j) for j in range(n)[index])
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        return self._mark(index)

    def __len__(self) -> int:
        return len(self._town_ids)

    def __iter__(self) -> Iterator[Mark | None]:
        return (self._mark(j) for j in range(len(self._town_ids)))


def from_columns(
    functions: Sequence[FunctionLike], towns: Sequence[TownLike], columns: MarkColumns
) -> Scoreboard:
    """The same scoreboard as galapagos_risk(functions, towns, marks) for the marks the
    columns hold (each function's row in catalog order, each town's column in town order)."""
    function_list, town_list, function_index, town_index = indexed(functions, towns)
    if len(columns.statuses) != len(function_list) or len(columns.marked) != len(function_list):
        raise ValueError("columns do not match the functions")
    n = len(town_list)
    town_ids = tuple(t.id for t in town_list)
    details = columns.details or [None] * len(function_list)
    cells: list[tuple[Sequence[Status], Sequence[Mark | None]]] = []
    for i, function in enumerate(function_list):
        statuses = columns.statuses[i]
        if len(statuses) != n:
            raise ValueError("columns do not match the towns")
        marks = MarkRow(function.id, town_ids, tuple(statuses), columns.marked[i], details[i])
        cells.append((statuses, marks))
    return assemble(function_list, town_list, function_index, town_index, cells)
