"""Area scoreboards for the workspace views, kept per process and checked on every use.

Scoring one area of 1,000 functions x 30 towns from the database takes a tenth of a second or
more, too slow to repeat on every status change. So each process keeps the last scoreboard of
a few areas together with what it was built from: the area's functions and classes, the towns,
and the marks' stamp (`queries.area_marks_stamp`, which grows with every change by anyone).
A request reads that stamp (one small query) and uses the kept board only when nothing changed;
after its own save it applies just its mark with `Scoreboard.with_mark` when the stamp shows
that no other change came in between. Anything else rebuilds the board, so several processes
sharing one database still always see the current scores.
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

Signature = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, int | None], ...]]


@dataclass(frozen=True, slots=True)
class _Kept:
    signature: Signature
    stamp: tuple[int, int]
    board: Scoreboard
    versions: dict[tuple[str, str], int]  # every mark's version the board was built with


class AreaBoards:
    """The kept scoreboards of one app, most recently used last."""

    def __init__(self, size: int = KEPT_AREAS) -> None:
        self._size = size
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self._area_locks: dict[str, threading.Lock] = {}
        self.rebuilds = 0  # how many boards were built from scratch (tests and benchmarks)

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

    def board(
        self,
        *,
        session: Session,
        area_id: str,
        towns: list[Town],
        function_keys: tuple[tuple[str, str], ...] | None = None,
    ) -> Scoreboard:
        """The area's current scoreboard."""
        signature = _signature(session, area_id, towns, function_keys)
        stamp = queries.area_marks_stamp(session=session, area_id=area_id)
        kept = self._get(area_id)
        if kept is not None and kept.signature == signature and kept.stamp == stamp:
            return kept.board
        return self._refresh(session, area_id, signature, stamp)

    def after_save(
        self, *, session: Session, area_id: str, towns: list[Town], mark: queries.MarkState
    ) -> Scoreboard:
        """The area's scoreboard right after this process saved `mark` (already committed)."""
        signature = _signature(session, area_id, towns, None)
        stamp = queries.area_marks_stamp(session=session, area_id=area_id)
        kept = self._get(area_id)
        if kept is not None and kept.signature == signature:
            if kept.stamp == stamp:  # built after the save: it already has the mark
                return kept.board
            # A save adds a mark (version 1) or raises a version by one; if the stamp moved
            # by exactly that, the save was the only change since the board was built.
            step = (1, 1) if mark.version == 1 else (0, 1)
            if (kept.stamp[0] + step[0], kept.stamp[1] + step[1]) == stamp:
                board = kept.board.with_mark(mark.as_domain())
                versions = {**kept.versions, (mark.town_id, mark.function_id): mark.version}
                self._put(area_id, _Kept(signature, stamp, board, versions))
                return board
        return self._refresh(session, area_id, signature, stamp)

    def _refresh(
        self, session: Session, area_id: str, signature: Signature, stamp: tuple[int, int]
    ) -> Scoreboard:
        # One refresh per area at a time: under a meeting's load, requests that arrive while
        # one is running wait for it instead of all scoring the same area at once.
        with self._area_lock(area_id):
            kept = self._get(area_id)
            if kept is not None and kept.signature == signature and kept.stamp == stamp:
                return kept.board  # refreshed by another request meanwhile
            if kept is not None and kept.signature == signature:
                return self._apply_changes(session, area_id, kept, stamp)
            return self._rebuild(session, area_id, signature, stamp)

    def _apply_changes(
        self, session: Session, area_id: str, kept: _Kept, stamp: tuple[int, int]
    ) -> Scoreboard:
        # Versions are exact: comparing them finds every mark changed by anyone since the
        # board was built, and only those are read and re-scored (a few milliseconds instead
        # of scoring the whole area again).
        versions = queries.area_mark_versions(session=session, area_id=area_id)
        changed = [key for key, version in versions.items() if kept.versions.get(key) != version]
        board = kept.board.with_marks(queries.marks_by_keys(session=session, keys=changed))
        self._put(area_id, _Kept(kept.signature, stamp, board, versions))
        return board

    def _rebuild(
        self, session: Session, area_id: str, signature: Signature, stamp: tuple[int, int]
    ) -> Scoreboard:
        # The stamp and versions are read before the marks: should a change land in between,
        # the board is newer than them and the next request re-applies that mark; never the
        # reverse.
        versions = queries.area_mark_versions(session=session, area_id=area_id)
        board = scoring.scoreboard(session=session, area_id=area_id)
        self.rebuilds += 1
        self._put(area_id, _Kept(signature, stamp, board, versions))
        return board


def _signature(
    session: Session,
    area_id: str,
    towns: list[Town],
    function_keys: tuple[tuple[str, str], ...] | None,
) -> Signature:
    """What a board depends on besides the marks: functions and classes, towns."""
    if function_keys is None:
        function_keys = queries.area_function_keys(session=session, area_id=area_id)
    return function_keys, tuple((town.id, town.name, town.population) for town in towns)


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
