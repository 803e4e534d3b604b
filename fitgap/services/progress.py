"""Progress over time for the dashboard: the mark history replayed at the start, at each
meeting and today (fitgap.domain.risk.progress), kept per process while nothing changed."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from fitgap.domain.risk.progress import Progress, checkpoints, replay
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.values import Mark, Status
from fitgap.store import marks as mark_queries
from fitgap.store import meetings as meeting_queries

TOKYO = ZoneInfo("Asia/Tokyo")
KEPT = 8  # progress replays kept per process, by scope and clock stamp

_kept: OrderedDict[tuple[str | None, str, date], Progress] = OrderedDict()
_lock = threading.Lock()


def local_day(moment: datetime) -> date:
    """The day in Japan of a stored time (stored in UTC; SQLite hands it back naive)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TOKYO).date()


def _changes(session: Session, area_id: str | None) -> Iterator[tuple[date, Mark]]:
    for at, town_id, function_id, status in mark_queries.status_history(
        session=session, area_id=area_id
    ):
        yield local_day(at), Mark(town_id, function_id, Status(status))


def group_progress(
    *, session: Session, board: Scoreboard, area_id: str | None, stamp: str, today: date
) -> Progress:
    """The group's and each town's figures at the start, at each meeting (of the area, when
    one is chosen) and today; `stamp` names the clocks the board was drawn at."""
    key = (area_id, stamp, today)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    first = mark_queries.first_change_at(session=session, area_id=area_id)
    meetings = [
        (m.held_on, m.title or f"#{m.id}")
        for m in meeting_queries.list_meetings(session=session)
        if area_id is None or m.area_id == area_id
    ]
    points = checkpoints([local_day(first)] if first else [], meetings, today)
    result = replay(board.functions, board.towns, _changes(session, area_id), points, area_id)
    with _lock:
        _kept[key] = result
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return result
