"""Scoreboards of an area or of the whole project, kept per process and checked on every use.

Scoring one area of 1,000 functions x 30 towns from the database takes a tenth of a second or
more, the whole project (20 areas) several seconds: too slow to repeat on every status change
or dashboard refresh. So each process keeps the last scoreboards of a few areas and of the
project together with what they were built from: the towns, each area's clocks
(`clock_queries.clocks`: raised by every mark change and every catalog load, whoever writes) and the
last history id applied. A request reads the clocks (one small query) and uses the kept board
when they have not moved; when only mark clocks have, the history rows since name exactly the
marks that changed, and only those are read and applied (`Scoreboard.with_marks`). A catalog
load or changed towns rebuild the board, so several processes sharing one database always see
the current scores.

Why the history rows are exact: raising an area's clock locks its row until the commit, before
the history row is written, so one area's history ids come in commit order; the clocks and
the rows are read in one statement (one snapshot). For each area the rows found must then
number exactly the clock's step. Across areas ids may commit out of order (PostgreSQL): a row
of one area that commits after a later id of another was read shows up as a step without its
row, and that area's rows are read again from its own last id. Anything else unaccounted for
scores the board anew.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.services import scoring
from fitgap.store import clocks as clock_queries
from fitgap.store import marks as mark_queries
from fitgap.store.models import Town

KEPT_BOARDS = 8  # boards kept per process (about 30,000 marks each for an area at full scale)
PROJECT = "*"  # the key of the whole project's board

# What a board depends on besides the marks: the catalog clocks and the towns.
Signature = tuple[int, tuple[tuple[str, str, int | None], ...]]


@dataclass(frozen=True, slots=True)
class _Kept:
    signature: Signature
    clocks: dict[str, int]  # each area's mark clock the board is current with
    lasts: dict[str, int]  # each area's last history id the board has applied
    board: Scoreboard

    @property
    def after(self) -> int:
        """The history ids up to this one were looked at (a later id of another area may have
        committed first: that shows as a step without its row, and the area is read again)."""
        return max(self.lasts.values(), default=0)


class AreaBoards:
    """The kept scoreboards of one app, most recently used last."""

    def __init__(self, size: int = KEPT_BOARDS) -> None:
        self._size = size
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self.rebuilds = 0  # how many boards were built from scratch (tests and benchmarks)
        self.mismatches = 0  # rebuilds because the history did not account for a clock
        self.rereads = 0  # areas whose rows were read again (ids committed out of order)

    def _get(self, key: str) -> _Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def _put(self, key: str, kept: _Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def board(self, *, session: Session, area_id: str | None, towns: list[Town]) -> Scoreboard:
        """The current scoreboard of an area, or of the whole project (area_id None); also
        right after this process saved a mark."""
        clocks = clock_queries.clocks(session=session, area_id=area_id)
        signature = (clocks.catalog, tuple((t.id, t.name, t.population) for t in towns))
        kept = self._get(area_id or PROJECT)
        # A request whose read began before another one moved the kept board on sees older
        # clocks: the kept board is newer than what it reads, and still right to show.
        if kept is not None and kept.signature == signature and _not_ahead(clocks.marks, kept):
            return kept.board
        return self._refresh(session, area_id, signature)

    def _refresh(self, session: Session, area_id: str | None, signature: Signature) -> Scoreboard:
        # One refresh per board at a time: under a meeting's load, requests that arrive while
        # one is running wait for it instead of all reading the same changes at once.
        key = area_id or PROJECT
        with self._key_lock(key):
            kept = self._get(key)
            if kept is not None and kept.signature == signature:
                clocks, rows = clock_queries.changes_since(
                    session=session, area_id=area_id, after=kept.after
                )
                if _not_ahead(clocks, kept):
                    return kept.board  # moved on by another request meanwhile
                moved = self._apply(session, area_id, kept, clocks, rows)
                if moved is not None:
                    self._put(key, moved)
                    return moved.board
                self.mismatches += 1
            return self._rebuild(session, area_id, signature)

    def _apply(
        self,
        session: Session,
        area_id: str | None,
        kept: _Kept,
        clocks: dict[str, int],
        rows: list[tuple[str, int, str, str]],
    ) -> _Kept | None:
        """The kept board moved on by these rows; None if they do not account for the clocks."""
        found: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        for area, change_id, town_id, function_id in rows:
            if change_id > kept.lasts.get(area, 0):  # not applied by an earlier reread
                found[area].append((change_id, town_id, function_id))
        new_clocks = dict(kept.clocks)
        new_lasts = dict(kept.lasts)
        keys: set[tuple[str, str]] = set()
        for area, clock in clocks.items():
            step = clock - kept.clocks.get(area, 0)
            changes = found.get(area, [])
            if step < 0 and not changes:
                continue  # read before the kept board moved on: it has this area's changes
            if len(changes) != step:
                if area_id is not None:
                    return None
                # An id of this area committed after a later id of another was read: read
                # this area's rows again from its own last id.
                self.rereads += 1
                again, rows_again = clock_queries.changes_since(
                    session=session, area_id=area, after=kept.lasts.get(area, 0)
                )
                clock = again.get(area, 0)
                changes = [(i, t, f) for _, i, t, f in rows_again]
                if len(changes) != clock - kept.clocks.get(area, 0):
                    return None
            new_clocks[area] = clock
            if changes:
                new_lasts[area] = changes[-1][0]
                keys.update((town_id, function_id) for _, town_id, function_id in changes)
        board = kept.board.with_marks(mark_queries.marks_by_keys(session=session, keys=keys))
        return _Kept(kept.signature, new_clocks, new_lasts, board)

    def _rebuild(self, session: Session, area_id: str | None, signature: Signature) -> Scoreboard:
        # The clocks are read before the marks: should a change land in between, the board is
        # newer than the clocks and the next request applies that mark again; never the reverse.
        clocks, lasts = clock_queries.clock_start(session=session, area_id=area_id)
        board = scoring.scoreboard(session=session, area_id=area_id)
        self.rebuilds += 1
        self._put(area_id or PROJECT, _Kept(signature, clocks, lasts, board))
        return board


def _not_ahead(clocks: dict[str, int], kept: _Kept) -> bool:
    """Whether none of these clocks is ahead of the kept board's."""
    return all(clock <= kept.clocks.get(area, 0) for area, clock in clocks.items())


def app_boards(extensions: dict[str, Any]) -> AreaBoards:
    """The kept scoreboards of one app in this process (its `extensions`), made on first use."""
    boards: AreaBoards | None = extensions.get(EXTENSION)
    if boards is None:
        boards = extensions.setdefault(EXTENSION, AreaBoards())
    return boards


EXTENSION = "fitgap.services.boards"
