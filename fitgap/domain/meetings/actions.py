"""Following up the action items (対応事項) between meetings: which are open, which are overdue,
in what order to chase them, and which a meeting carries over from the earlier ones.

Pure Python on plain dataclasses; `fitgap.store.actions` gathers the entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from fitgap.domain.wareki import JST

MAX_ACTION_NOTE_LENGTH = 2_000  # the note on marking an item done or reopening it


@dataclass(frozen=True, slots=True)
class ActionState:
    """An item's newest status: done or reopened, with the note, who and when."""

    done: bool
    note: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ActionEntry:
    """One action item with where it comes from (meeting, decision) and its status history."""

    id: int
    what: str
    town_id: str | None  # None: the whole group
    due_on: date | None
    position: int
    meeting_id: int
    held_on: date
    area_id: str
    area_name: str
    meeting_title: str
    decision_id: int
    decision_number: int  # the decision's number within its meeting
    function_id: str
    function_name: str
    history: tuple[ActionState, ...] = ()  # oldest first; empty: never marked done

    @property
    def state(self) -> ActionState | None:
        """The newest status (None: the item was never marked done)."""
        return self.history[-1] if self.history else None

    @property
    def done(self) -> bool:
        """Whether the item is done (its newest status says so)."""
        return self.state is not None and self.state.done

    def overdue(self, today: date) -> bool:
        """Whether the item is open past its due date (due today is not overdue yet)."""
        return not self.done and self.due_on is not None and self.due_on < today

    def as_of(self, moment: datetime) -> ActionEntry:
        """The item as it stood at `moment` (its statuses recorded before then)."""
        return replace(self, history=tuple(s for s in self.history if s.recorded_at < moment))


def chase_order(entries: Iterable[ActionEntry], today: date) -> list[ActionEntry]:
    """Overdue first (the longest overdue first), then by due date, items without a due date
    last; within a day, the older meeting and the decision's order first."""

    def key(entry: ActionEntry) -> tuple[int, date, date, int, int, int]:
        return (
            0 if entry.overdue(today) else 1,
            entry.due_on or date.max,
            entry.held_on,
            entry.meeting_id,
            entry.decision_number,
            entry.position,
        )

    return sorted(entries, key=key)


@dataclass(frozen=True, slots=True)
class ActionCounts:
    """How many items are open, and how many of those are overdue."""

    open: int = 0
    overdue: int = 0


def counts_by_town(entries: Iterable[ActionEntry], today: date) -> dict[str | None, ActionCounts]:
    """Open and overdue items per responsible town (None: the whole group)."""
    counts: dict[str | None, ActionCounts] = {}
    for entry in entries:
        if entry.done:
            continue
        before = counts.get(entry.town_id, ActionCounts())
        counts[entry.town_id] = ActionCounts(
            open=before.open + 1, overdue=before.overdue + int(entry.overdue(today))
        )
    return counts


@dataclass(frozen=True, slots=True)
class MeetingRef:
    """Where a meeting stands among the others: its id, area and day."""

    id: int
    area_id: str
    held_on: date


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and the end of a day in Japan time (the towns' day, whatever the server's)."""
    start = datetime.combine(day, time(0, 0), tzinfo=JST)
    if day == date.max:  # the calendar's last day has no next one
        return start, datetime.max.replace(tzinfo=JST)
    return start, start + timedelta(days=1)


def earlier(entry: ActionEntry, meeting: MeetingRef) -> bool:
    """Whether the item comes from an earlier meeting of the same area."""
    return entry.area_id == meeting.area_id and (entry.held_on, entry.meeting_id) < (
        meeting.held_on,
        meeting.id,
    )


def carried_over(
    entries: Iterable[ActionEntry], meeting: MeetingRef, *, until: datetime | None = None
) -> list[ActionEntry]:
    """What a meeting carries over (前回からの持ち越し対応事項): the items of the area's earlier
    meetings that were still open when the meeting's day began. Each as it stands at `until`
    (the end of the meeting's day, for the minutes) or now (None), so an item reported done in
    the meeting shows as done; in the order to chase them on the meeting's day."""
    start, _end = day_bounds(meeting.held_on)
    found = [
        e if until is None else e.as_of(until)
        for e in entries
        if earlier(e, meeting) and not e.as_of(start).done
    ]
    return chase_order(found, meeting.held_on)
