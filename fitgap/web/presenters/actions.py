"""What the follow-up screens show about the action items (対応事項): the open ones per town or
per meeting, overdue first, with counts; the ones done lately; a meeting's carried-over list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from fitgap.domain.i18n import _
from fitgap.domain.meetings import actions as follow_up
from fitgap.domain.meetings.actions import ActionEntry
from fitgap.domain.wareki import japan_time, japan_today, wareki
from fitgap.store import actions as action_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store.models import Meeting

RECENTLY_DONE = 20  # how many done items the page lists (the newest)


def today_in_japan() -> date:
    """Today in the towns' time zone, whatever the server's."""
    return japan_today()


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One action item as a row: the entry and what the viewer sees about it."""

    entry: ActionEntry
    town_name: str  # 全体 for the group's items
    overdue: bool
    due_today: bool
    own: bool  # the viewer's town's item
    may_report: bool  # the viewer may mark it done (or reopen it)

    @property
    def origin(self) -> str:
        """令和7年4月1日 住民記録 決定 #2: where the item was decided."""
        return _(
            "%(date)s %(area)s 決定 #%(n)s",
            date=wareki(self.entry.held_on),
            area=self.entry.area_name,
            n=self.entry.decision_number,
        )

    @property
    def done_on(self) -> date | None:
        """The day (in Japan) it was marked done, if it is done."""
        state = self.entry.state
        if state is None or not state.done:
            return None
        return japan_time(state.recorded_at).date()


@dataclass(frozen=True, slots=True)
class ActionGroup:
    """The open items of one town (or of the group), or of one meeting."""

    anchor: str  # the id of the group's heading
    title: str
    rows: tuple[ActionRow, ...]
    own: bool = False
    meeting_id: int | None = None

    @property
    def overdue(self) -> int:
        """How many of the group's items are overdue."""
        return sum(1 for r in self.rows if r.overdue)


@dataclass(frozen=True, slots=True)
class TownCount:
    """A town's (or the group's) open and overdue items."""

    town_id: str | None
    name: str
    open: int
    overdue: int
    own: bool


@dataclass(frozen=True, slots=True)
class FollowUpPage:
    """The open items page (未完了の対応事項)."""

    by: str  # "town" | "meeting"
    today: date
    groups: tuple[ActionGroup, ...]
    counts: tuple[TownCount, ...]
    done: tuple[ActionRow, ...]  # the newest done first
    own_town: str | None

    @property
    def open(self) -> int:
        """Open items in all."""
        return sum(c.open for c in self.counts)

    @property
    def overdue(self) -> int:
        """Overdue items in all."""
        return sum(c.overdue for c in self.counts)


def _rows(
    entries: Sequence[ActionEntry],
    today: date,
    names: dict[str, str],
    own_town: str | None,
    may_report: Callable[[str | None], bool],
) -> list[ActionRow]:
    return [
        ActionRow(
            entry=e,
            town_name=names.get(e.town_id, e.town_id) if e.town_id else _("全体"),
            overdue=e.overdue(today),
            due_today=not e.done and e.due_on == today,
            own=own_town is not None and e.town_id == own_town,
            may_report=may_report(e.town_id),
        )
        for e in entries
    ]


def follow_up_page(
    *,
    session: Session,
    by: str,
    own_town: str | None,
    may_report: Callable[[str | None], bool],
    today: date | None = None,
) -> FollowUpPage:
    """The open items per town (by="town") or per meeting (by="meeting"), each group in the
    order to chase them (overdue first), the counts per town, and the items done lately."""
    day = today or today_in_japan()
    towns = catalog_queries.list_towns(session=session)
    names = {t.id: t.name for t in towns}
    everything = action_queries.entries(session=session)
    open_rows = _rows(
        follow_up.chase_order([e for e in everything if not e.done], day),
        day,
        names,
        own_town,
        may_report,
    )
    groups: list[ActionGroup] = []
    if by == "meeting":
        meetings = sorted(
            {(r.entry.held_on, r.entry.meeting_id) for r in open_rows}, key=lambda k: k
        )
        for held_on, meeting_id in meetings:
            rows = tuple(r for r in open_rows if r.entry.meeting_id == meeting_id)
            first = rows[0].entry
            title = " ".join(
                part for part in (wareki(held_on), first.area_name, first.meeting_title) if part
            )
            groups.append(
                ActionGroup(
                    anchor=f"meeting-{meeting_id}",
                    title=title,
                    rows=rows,
                    meeting_id=meeting_id,
                    own=any(r.own for r in rows),
                )
            )
    else:
        for town_id in [*(t.id for t in towns), None]:
            rows = tuple(r for r in open_rows if r.entry.town_id == town_id)
            if rows:
                groups.append(
                    ActionGroup(
                        anchor=f"town-{town_id or 'all'}",
                        title=names[town_id] if town_id else _("全体（町を特定しない事項）"),
                        rows=rows,
                        own=own_town is not None and town_id == own_town,
                    )
                )
    counted = follow_up.counts_by_town(everything, day)
    counts = tuple(
        TownCount(
            town_id=town_id,
            name=names[town_id] if town_id else _("全体"),
            open=counted.get(town_id, follow_up.ActionCounts()).open,
            overdue=counted.get(town_id, follow_up.ActionCounts()).overdue,
            own=own_town is not None and town_id == own_town,
        )
        for town_id in [*(t.id for t in towns), None]
    )
    done = sorted(
        (e for e in everything if e.done and e.state is not None),
        key=lambda e: (e.state.recorded_at if e.state else datetime.min, e.id),
        reverse=True,
    )[:RECENTLY_DONE]
    return FollowUpPage(
        by=by,
        today=day,
        groups=tuple(groups),
        counts=counts,
        done=tuple(_rows(done, day, names, own_town, may_report)),
        own_town=own_town,
    )


def open_action_counts(session: Session, today: date | None = None) -> follow_up.ActionCounts:
    """How many action items are open, and overdue, over every meeting."""
    day = today or today_in_japan()
    counted = follow_up.counts_by_town(action_queries.entries(session=session), day).values()
    return follow_up.ActionCounts(
        open=sum(c.open for c in counted), overdue=sum(c.overdue for c in counted)
    )


def carried_rows(
    *, session: Session, meeting: Meeting, may_report: Callable[[str | None], bool]
) -> list[ActionRow]:
    """The action items the meeting carries over from the area's earlier meetings, as they
    stand now (an item reported done in the meeting stays on the list, done)."""
    assert meeting.id is not None  # noqa: S101 - a stored meeting
    names = {t.id: t.name for t in catalog_queries.list_towns(session=session)}
    ref = follow_up.MeetingRef(meeting.id, meeting.area_id, meeting.held_on)
    entries = follow_up.carried_over(
        action_queries.entries(session=session, area_id=meeting.area_id), ref
    )
    return _rows(entries, meeting.held_on, names, None, may_report)
