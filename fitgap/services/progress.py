"""Progress over time for the dashboard (fitgap.domain.risk.progress).

The checkpoints before today depend only on the history up to their day, which never changes
afterwards (the history is append-only and a change is dated when it is made). So the past is
replayed once a day per scope and kept; today's point comes from the current scoreboard,
which the dashboard has at hand anyway. At full scale the replay takes seconds
(docs/performance.md), paid by the first dashboard of the day, not by every refresh."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from fitgap.domain.risk.progress import Checkpoint, Figures, Progress, checkpoints, replay
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.values import Mark, Status
from fitgap.domain.wareki import JST
from fitgap.store import marks as mark_queries
from fitgap.store import meetings as meeting_queries

KEPT = 8  # replays of the past kept per process, by scope, day and meetings

_Key = tuple[str | None, date, tuple[tuple[date, str], ...], date | None]
_kept: OrderedDict[_Key, Progress] = OrderedDict()
_lock = threading.Lock()


def local_day(moment: datetime) -> date:
    """The day in Japan of a stored time (stored in UTC; SQLite hands it back naive)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST).date()


def _changes(session: Session, area_id: str | None, before: date) -> Iterator[tuple[date, Mark]]:
    start_of_day = datetime.combine(before, time(), tzinfo=JST).astimezone(UTC)
    for at, town_id, function_id, status in mark_queries.status_history(
        session=session, area_id=area_id, before=start_of_day
    ):
        yield local_day(at), Mark(town_id, function_id, Status(status))


def _past(
    session: Session, board: Scoreboard, area_id: str | None, points: tuple[Checkpoint, ...]
) -> Progress:
    today = points[-1].day
    past = tuple(p for p in points if p.day < today)
    return replay(board.functions, board.towns, _changes(session, area_id, today), past, area_id)


def group_progress(
    *, session: Session, board: Scoreboard, area_id: str | None, today: date
) -> Progress:
    """The group's and each town's figures at the start, at each meeting (of the area, when
    one is chosen) and today."""
    first = mark_queries.first_change_at(session=session, area_id=area_id)
    meetings = tuple(
        sorted(
            (m.held_on, m.title or f"#{m.id}")
            for m in meeting_queries.list_meetings(session=session)
            if area_id is None or m.area_id == area_id
        )
    )
    first_day = local_day(first) if first else None
    points = checkpoints([first_day] if first_day else [], meetings, today)
    if not points:
        return Progress(checkpoints=(), group=(), towns={t.id: () for t in board.towns})
    key: _Key = (area_id, today, meetings, first_day)
    with _lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is None:
        kept = _past(session, board, area_id, points)
        with _lock:
            _kept[key] = kept
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
    group = board.group_score(area_id, breakdown=False)
    towns = {t.id: Figures.of(t) for t in board.town_scores(area_id, breakdown=False)}
    return Progress(
        checkpoints=points,
        group=(*kept.group, Figures.of(group)),
        towns={town_id: (*kept.towns[town_id], towns[town_id]) for town_id in towns},
    )
