"""Area scoreboards for the workspace views, kept per process and checked on every use.

Scoring one area of 1,000 functions x 30 towns from the database takes a tenth of a second or
more, too slow to repeat on every status change. So each process keeps the last scoreboard of
a few areas together with what it was built from: the towns, the area's clocks
(`queries.area_clocks`: raised by every mark change and every catalog load, whoever writes)
and the last history id it applied. A request reads the clocks (one row) and uses the kept
board when they have not moved; when only the mark clock has, the history rows since the last
applied id name exactly the marks that changed, and only those are read and applied
(`Scoreboard.with_marks`). A catalog load or changed towns rebuild the board, so several
processes sharing one database always see the current scores.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from sqlmodel import Session

from fitgap import queries, scoring
from fitgap.domain.risk import Scoreboard
from fitgap.models import Town

KEPT_AREAS = 8  # boards kept per process (about 30,000 marks each at full scale)

# What a board depends on besides the marks: the area's catalog clock and the towns.
Signature = tuple[int, tuple[tuple[str, str, int | None], ...]]


@dataclass(frozen=True, slots=True)
class _Kept:
    signature: Signature
    clock: int  # the area's clock the board is current with
    last_change: int  # the last history id of the area the board has applied
    board: Scoreboard


class AreaBoards:
    """The kept scoreboards of one app, most recently used last."""

    def __init__(self, size: int = KEPT_AREAS) -> None:
        self._size = size
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self._area_locks: dict[str, threading.Lock] = {}
        self.rebuilds = 0  # how many boards were built from scratch (tests and benchmarks)
        self.mismatches = 0  # rebuilds because the history did not account for the clock

    def _get(self, area_id: str) -> _Kept | None:
        with self._lock:
            kept = self._kept.get(area_id)
            if kept is not None:
                self._kept.move_to_end(area_id)
            return kept

    def _put(self, area_id: str, kept: _Kept) -> None:
        with self._lock:
            self._kept[area_id] = kept
            self._kept.move_to_end(area_id)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)

    def _area_lock(self, area_id: str) -> threading.Lock:
        with self._lock:
            return self._area_locks.setdefault(area_id, threading.Lock())

    def board(self, *, session: Session, area_id: str, towns: list[Town]) -> Scoreboard:
        """The area's current scoreboard (also right after this process saved a mark)."""
        clock, catalog = queries.area_clocks(session=session, area_id=area_id)
        signature = (catalog, tuple((town.id, town.name, town.population) for town in towns))
        kept = self._get(area_id)
        # A request whose read began before another one moved the kept board on sees an
        # older clock: the kept board is newer than what it reads, and still right to show.
        if kept is not None and kept.signature == signature and kept.clock >= clock:
            return kept.board
        return self._refresh(session, area_id, signature)

    def _refresh(self, session: Session, area_id: str, signature: Signature) -> Scoreboard:
        # One refresh per area at a time: under a meeting's load, requests that arrive while
        # one is running wait for it instead of all reading the same changes at once.
        with self._area_lock(area_id):
            kept = self._get(area_id)
            if kept is not None and kept.signature == signature:
                clock, changes = queries.area_changes_since(
                    session=session, area_id=area_id, after=kept.last_change
                )
                if clock <= kept.clock:
                    return kept.board  # moved on by another request meanwhile
                if len(changes) == clock - kept.clock:
                    keys = {(town_id, function_id) for _, town_id, function_id in changes}
                    marks = queries.marks_by_keys(session=session, keys=keys)
                    board = kept.board.with_marks(marks)
                    self._put(area_id, _Kept(signature, clock, changes[-1][0], board))
                    return board
                # The history does not account for the clock (a write that bypassed it, a
                # function moved to another area): score the area anew.
                self.mismatches += 1
            return self._rebuild(session, area_id, signature)

    def _rebuild(self, session: Session, area_id: str, signature: Signature) -> Scoreboard:
        # The clock is read before the marks: should a change land in between, the board is
        # newer than the clock and the next request applies that mark again; never the reverse.
        clock, last_change = queries.area_clock_start(session=session, area_id=area_id)
        board = scoring.scoreboard(session=session, area_id=area_id)
        self.rebuilds += 1
        self._put(area_id, _Kept(signature, clock, last_change, board))
        return board


def area_boards() -> AreaBoards:
    """The current app's kept boards (created on first use)."""
    boards: AreaBoards | None = current_app.extensions.get("fitgap.boards")
    if boards is None:
        boards = current_app.extensions.setdefault("fitgap.boards", AreaBoards())
    return boards


def current_board(*, session: Session, area_id: str, towns: list[Town] | None = None) -> Scoreboard:
    """The area's current scoreboard through the kept boards (for any view of one area);
    pass the towns when the view has read them already."""
    if towns is None:
        towns = queries.list_towns(session=session)
    return area_boards().board(session=session, area_id=area_id, towns=towns)
