"""Decisions of the joint meetings and the decision log (議事録) as Markdown, CSV and XLSX.

Pure Python on plain dataclasses: the rules a decision must follow, and the documents built
from a log. `fitgap.meeting_queries` gathers the data; this module never sees the database.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from fitgap.domain.files.cells import neutralise
from fitgap.domain.group.table import ScenarioTable
from fitgap.domain.i18n import _
from fitgap.domain.labels import outcome_label
from fitgap.domain.labels import status_label as status_text
from fitgap.domain.marking import tidy_note
from fitgap.domain.values import Outcome, Requirement, Status
from fitgap.domain.wareki import (
    XLSX_WAREKI_FORMAT,
    japan_minute,
    japan_time,
    japan_today,
    wareki,
    wareki_with_western,
)

# Outcomes that keep a customization: the law tolerates only the truly unavoidable minimum.
KEEPS_CUSTOMIZATION = frozenset({Outcome.SHARED_CUSTOMIZATION, Outcome.TOWN_EXCEPTION})


# ---------------------------------------------------------------------------------------------
# Recording a decision


@dataclass(frozen=True, slots=True)
class TownVerdict:
    """A town's verdict as the decision sets it, with what changes for the town."""

    town_id: str
    status: Status
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ActionDraft:
    """An action item to record with a decision."""

    what: str
    town_id: str | None = None
    due_on: date | None = None


@dataclass(frozen=True, slots=True)
class DecisionDraft:
    """A decision as the moderator entered it, before it is checked and recorded."""

    outcome: Outcome
    summary: str = ""
    justification: str | None = None
    alternative: str | None = None
    verdicts: tuple[TownVerdict, ...] = ()
    actions: tuple[ActionDraft, ...] = ()


def apply_outcome(
    outcome: Outcome, verdicts: Sequence[TownVerdict], current: Mapping[str, Status]
) -> tuple[TownVerdict, ...]:
    """The verdicts an outcome implies. A town left undecided keeps its current verdict; then
    "all fit" makes every town fit and "all change their workflow" moves every town that is not
    fit; towns not applicable stay so."""
    result: list[TownVerdict] = []
    for verdict in verdicts:
        status = verdict.status
        if status is Status.UNDECIDED:  # nothing chosen: the town's verdict stands
            status = current.get(verdict.town_id, Status.UNDECIDED)
        if outcome is Outcome.ALL_FIT and status is not Status.NOT_APPLICABLE:
            status = Status.FIT
        elif outcome is Outcome.ALL_WORKFLOW_CHANGE and status not in (
            Status.FIT,
            Status.NOT_APPLICABLE,
        ):
            status = Status.WORKFLOW_CHANGE
        result.append(TownVerdict(verdict.town_id, status, verdict.note))
    return tuple(result)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def check_decision(
    draft: DecisionDraft,
    *,
    town_names: Mapping[str, str],
    current: Mapping[str, Status],
    requirement: Requirement,
) -> list[str]:
    """Every reason the draft cannot be recorded (empty when it can), in the user's language."""
    problems: list[str] = []
    if draft.outcome is Outcome.POSTPONED:
        if _blank(draft.summary):
            problems.append(_("継続協議とする理由を入力してください。"))
        return problems + _check_actions(draft.actions, town_names)
    verdicts = {v.town_id: v for v in draft.verdicts}
    missing = [name for town_id, name in town_names.items() if town_id not in verdicts]
    if missing:
        problems.append(_("判定のない町があります：%(towns)s", towns="、".join(missing)))
    unknown = sorted(set(verdicts) - set(town_names))
    if unknown:
        problems.append(_("参加していない町です：%(towns)s", towns="、".join(unknown)))
    statuses = [v.status for v in verdicts.values()]
    undecided = [town_names.get(t, t) for t, v in verdicts.items() if v.status is Status.UNDECIDED]
    if undecided:
        problems.append(_("未判定の町があります：%(towns)s", towns="、".join(undecided)))
    customizing = statuses.count(Status.CUSTOMIZATION)
    outcome = draft.outcome
    if outcome is Outcome.ALL_FIT and any(
        s not in (Status.FIT, Status.NOT_APPLICABLE) for s in statuses
    ):
        problems.append(_("「全町が適合」では、すべての町が適合（または対象外）です。"))
    if outcome is Outcome.ALL_FIT and Status.FIT not in statuses:
        problems.append(_("適合とする町がありません。"))
    if outcome is Outcome.ALL_WORKFLOW_CHANGE:
        if customizing:
            problems.append(_("「全町で業務見直し」では、カスタマイズする町は残せません。"))
        if Status.WORKFLOW_CHANGE not in statuses:
            problems.append(_("業務見直しをする町がありません。"))
        for town_id, verdict in verdicts.items():
            moved = current.get(town_id, Status.UNDECIDED) is not Status.WORKFLOW_CHANGE
            if verdict.status is Status.WORKFLOW_CHANGE and moved and _blank(verdict.note):
                problems.append(
                    _(
                        "%(town)sの業務をどう見直すかを入力してください。",
                        town=town_names.get(town_id, town_id),
                    )
                )
    if outcome is Outcome.SHARED_CUSTOMIZATION and customizing < 2:
        problems.append(_("共同カスタマイズには、カスタマイズする町が2町以上必要です。"))
    if outcome is Outcome.TOWN_EXCEPTION and customizing != 1:
        problems.append(_("町別の例外では、カスタマイズする町はちょうど1町です。"))
    if outcome in KEEPS_CUSTOMIZATION:
        if requirement is Requirement.PROHIBITED:
            problems.append(
                _(
                    "実装不可機能はカスタマイズできません。業務見直しか疎結合の別システムにしてください。"
                )
            )
        if _blank(draft.justification):
            problems.append(_("カスタマイズがやむを得ない理由を入力してください。"))
        if outcome is Outcome.SHARED_CUSTOMIZATION and _blank(draft.alternative):
            problems.append(_("疎結合の別システムやEUCで対応できない理由を入力してください。"))
    return problems + _check_actions(draft.actions, town_names)


def _check_actions(actions: Iterable[ActionDraft], town_names: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for action in actions:
        if _blank(action.what):
            problems.append(_("対応事項の内容を入力してください。"))
        if action.town_id is not None and action.town_id not in town_names:
            problems.append(_("参加していない町です：%(towns)s", towns=action.town_id))
    return problems


# ---------------------------------------------------------------------------------------------
# The decision log


@dataclass(frozen=True, slots=True)
class MinutesTown:
    """A town as the log names it."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class MinutesAttendee:
    """An attendee: name and role as typed in; town None for the consultant, vendor, ..."""

    town_id: str | None
    name: str
    role: str = ""


@dataclass(frozen=True, slots=True)
class MinutesVerdict:
    """A town's mark as the decision set it, and the mark it replaced."""

    town_id: str
    status: Status
    note: str | None
    previous_status: Status | None
    previous_version: int
    version: int


@dataclass(frozen=True, slots=True)
class MinutesAction:
    """An action item of a decision."""

    what: str
    town_id: str | None = None
    due_on: date | None = None


@dataclass(frozen=True, slots=True)
class DecisionRef:
    """A decision as people name it: its number within its meeting, and that meeting's day."""

    meeting_id: int
    held_on: date
    number: int


def decision_name(ref: DecisionRef, within: int | None = None) -> str:
    """決定 #2 inside its own meeting (`within`); 令和7年4月1日の会議の決定 #2 from elsewhere."""
    if ref.meeting_id == within:
        return _("決定 #%(n)s", n=ref.number)
    return _("%(date)sの会議の決定 #%(n)s", date=wareki(ref.held_on), n=ref.number)


@dataclass(frozen=True, slots=True)
class MinutesDecision:
    """One recorded decision. `id` is the database's; people know it by `number`, counted from 1
    in each meeting (None in logs built without one: the id stands in)."""

    id: int
    meeting_id: int
    function_id: str
    function_name: str
    outcome: Outcome
    summary: str
    decided_by: str
    decided_at: datetime
    justification: str | None = None
    alternative: str | None = None
    verdicts: tuple[MinutesVerdict, ...] = ()
    actions: tuple[MinutesAction, ...] = ()
    supersedes_id: int | None = None
    superseded_by_id: int | None = None
    number: int | None = None
    held_on: date | None = None  # the meeting's day
    supersedes: DecisionRef | None = None  # the decision it replaced, as people name it
    superseded_by: DecisionRef | None = None  # the decision that replaced it

    @property
    def current(self) -> bool:
        """Whether no later decision replaced this one."""
        return self.superseded_by_id is None

    @property
    def shown_number(self) -> int:
        """The number people know the decision by (within its meeting)."""
        return self.number if self.number is not None else self.id

    @property
    def name(self) -> str:
        """決定 #2 (within its meeting)."""
        return _("決定 #%(n)s", n=self.shown_number)


@dataclass(frozen=True, slots=True)
class MinutesCarried:
    """An action item of an earlier meeting of the area that was still open when this meeting
    began (前回からの持ち越し対応事項), and whether it was done by the end of the meeting's day."""

    action: MinutesAction
    origin: DecisionRef
    function_id: str
    function_name: str
    done: bool = False
    note: str | None = None  # the note given when it was marked done


@dataclass(frozen=True, slots=True)
class MinutesItem:
    """One agenda item, in agenda order."""

    function_id: str
    function_name: str
    later: bool = False


@dataclass(frozen=True, slots=True)
class MinutesMeeting:
    """A meeting with its attendees, agenda and decisions."""

    id: int
    area_id: str
    area_name: str
    held_on: date
    moderator: str
    title: str = ""
    place: str = ""
    attendees: tuple[MinutesAttendee, ...] = ()
    agenda: tuple[MinutesItem, ...] = ()
    decisions: tuple[MinutesDecision, ...] = ()
    carried: tuple[MinutesCarried, ...] = ()


@dataclass(frozen=True, slots=True)
class MinutesMark:
    """A town's current mark on a function of the log."""

    town_id: str
    function_id: str
    function_name: str
    status: Status
    note: str | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class Minutes:
    """A decision log: one meeting's, or the whole project's."""

    title: str
    towns: tuple[MinutesTown, ...]
    meetings: tuple[MinutesMeeting, ...]
    marks: tuple[MinutesMark, ...] = field(default=())
    # Function id -> the vendor's current answer in one line (fitgap.domain.vendor.one_line).
    vendor_answers: Mapping[str, str] = field(default_factory=dict)
    # A saved scenario of the group (参加団体の検討), when the export was asked to carry one.
    scenario: ScenarioTable | None = None
    issued_on: date | None = None  # the day the log is issued (None: today in Japan)

    @property
    def issue_date(self) -> date:
        """The day of issue: as given, or today in Japan."""
        return self.issued_on or japan_today()

    @property
    def decisions(self) -> tuple[MinutesDecision, ...]:
        """Every decision, meeting by meeting, oldest first."""
        return tuple(d for m in self.meetings for d in m.decisions)

    def town_name(self, town_id: str | None) -> str:
        """A town's name; 全体 (the group) for None."""
        if town_id is None:
            return _("全体")
        return next((t.name for t in self.towns if t.id == town_id), town_id)

    def current_decision(self, function_id: str) -> MinutesDecision | None:
        """The decision on a function that no other replaced, within this log."""
        found = [d for d in self.decisions if d.function_id == function_id and d.current]
        return found[-1] if found else None


def local_time(value: datetime) -> str:
    """A stored time (UTC) in Japan time: 2025-04-01 14:05."""
    return japan_minute(value)


# Everything a reader may take for the end of a line: CR LF, a lone CR or LF, and the rarer
# breaks (vertical tab, form feed, NEL, the Unicode line and paragraph separators).
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def normalise_line_breaks(text: str) -> str:
    """Text with every kind of line break as LF."""
    return _LINE_BREAKS.sub("\n", text)


def one_line(text: str | None) -> str:
    """Text on one line (line breaks of every kind become spaces), for tables and
    one-fact-per-line lists."""
    if not text:
        return ""
    return re.sub(r"\s*\n\s*", " ", normalise_line_breaks(text).strip())


# Inline Markdown and HTML: code, emphasis, links and images, raw HTML and comments, headings'
# closing #, strikethrough, entities. A backslash before any of them shows it as typed.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>#~&])")
# What opens a nested list at the start of a list item's text (# and > are escaped above).
_LEADING_MARKER = re.compile(r"^([-+])")
_LEADING_NUMBER = re.compile(r"^(\d+)([.)])")


def markdown_text(text: str | None) -> str:
    """User text for a line of the Markdown minutes: on one line, with the Markdown and HTML
    specials escaped, so it shows as typed and can never start a block, a tag or a link."""
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", one_line(text))
    escaped = _LEADING_MARKER.sub(r"\\\1", escaped)
    return _LEADING_NUMBER.sub(r"\1\\\2", escaped)


def _as_is(text: str) -> str:
    return text


# What a file name may not hold on Windows, macOS or in an HTTP header: separators, wildcards,
# quotes, and every control character (a CR or LF in a header is refused outright).
_FILE_NAME_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029/\\:*?"<>|]+')


def file_name(text: str) -> str:
    """A download's file name from user text (an area's name): forbidden characters and line
    breaks become _; leading dots and blanks or _ at either end go."""
    return _FILE_NAME_FORBIDDEN.sub("_", text).lstrip(". ").strip(" _") or "minutes"


def decision_state(decision: MinutesDecision) -> str:
    """有効, or which decision replaced it."""
    if decision.superseded_by_id is None:
        return _("有効")
    if decision.superseded_by is None:
        return _("決定 #%(id)s で置き換え", id=decision.superseded_by_id)
    return _(
        "%(decision)s で置き換え",
        decision=decision_name(decision.superseded_by, decision.meeting_id),
    )


def supersedes_text(decision: MinutesDecision) -> str:
    """The decision this one replaced, as people name it ("" for none)."""
    if decision.supersedes is not None:
        return decision_name(decision.supersedes, decision.meeting_id)
    return f"#{decision.supersedes_id}" if decision.supersedes_id else ""


def verdict_text(
    minutes: Minutes, verdict: MinutesVerdict, escape: Callable[[str], str] = _as_is
) -> str:
    """石井町：カスタマイズ → 業務見直し, or 神山町：適合（変更なし） for a town whose verdict
    the decision kept; `escape` takes the user text. (The marks' version numbers stay out:
    they count every saved change of a mark and mean nothing to the minutes' readers.)"""
    town = escape(minutes.town_name(verdict.town_id))
    if verdict.previous_status is verdict.status:
        return _("%(town)s：%(status)s（変更なし）", town=town, status=status_text(verdict.status))
    before = status_text(verdict.previous_status) if verdict.previous_status else _("判定なし")
    return _(
        "%(town)s：%(before)s → %(after)s",
        town=town,
        before=before,
        after=status_text(verdict.status),
    )


def action_text(
    minutes: Minutes, action: MinutesAction, escape: Callable[[str], str] = _as_is
) -> str:
    """石井町：様式を見直す（期限 令和7年5月1日（2025-05-01））; `escape` takes the user text."""
    text = escape(minutes.town_name(action.town_id)) + _("：") + escape(one_line(action.what))
    if action.due_on is not None:
        text += _("（期限 %(date)s）", date=wareki_with_western(action.due_on))
    return text


def carried_state(carried: MinutesCarried, held_on: date) -> str:
    """未完了 (期限切れ when past due on the meeting's day), or 完了 with its note."""
    if carried.done:
        return _("会議の日までに完了")
    if carried.action.due_on is not None and carried.action.due_on < held_on:
        return _("未完了（期限切れ）")
    return _("未完了")


def carried_origin(carried: MinutesCarried, escape: Callable[[str], str] = _as_is) -> str:
    """令和7年4月1日の会議の決定 #2（0010001 独自項目の保持）; `escape` takes the user text."""
    return _(
        "%(decision)s（%(id)s %(name)s）",
        decision=decision_name(carried.origin),
        id=escape(carried.function_id),
        name=escape(carried.function_name),
    )


def attendee_text(attendee: MinutesAttendee, escape: Callable[[str], str] = _as_is) -> str:
    """佐藤（住民課長）; `escape` takes the user text."""
    name = escape(attendee.name)
    return f"{name}（{escape(attendee.role)}）" if attendee.role else name


def meeting_heading(meeting: MinutesMeeting, escape: Callable[[str], str] = _as_is) -> str:
    """令和7年4月1日（2025-04-01） 介護保険 第1回; `escape` takes the user text."""
    parts = [wareki_with_western(meeting.held_on), escape(meeting.area_name)]
    if meeting.title:
        parts.append(escape(meeting.title))
    return " ".join(parts)


# -- Markdown ---------------------------------------------------------------------------------


# In the Markdown below, every piece of user text (names, titles, notes, ...) goes through
# markdown_text (`_md`); the rest is fitgap's own wording.
_md = markdown_text


def _cell(text: str) -> str:
    return one_line(text).replace("|", "\\|") or " "


def _row(cells: Iterable[str]) -> str:
    """A table row of cells that are fitgap's text or already escaped user text."""
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def to_markdown(minutes: Minutes) -> str:
    """The log as one Markdown document: stable order, one fact per line (small git diffs).
    User text shows as typed and cannot add a heading, a list, a tag or a comment."""
    lines = [f"# {_md(minutes.title)}", ""]
    lines += [_("発行日：%(date)s", date=wareki_with_western(minutes.issue_date)), ""]
    if not minutes.meetings:
        lines += [_("記録された会議はありません。"), ""]
    for meeting in minutes.meetings:
        lines += _meeting_markdown(minutes, meeting)
    if minutes.scenario is not None:
        lines += _scenario_markdown(minutes.scenario)
    return "\n".join(lines).rstrip("\n") + "\n"


def _scenario_markdown(table: ScenarioTable) -> list[str]:
    lines = [f"## {_md(table.title)}", "", table.note(), ""]
    lines.append(_row(table.header()))
    lines.append("|---|---:|---:|---:|")
    for name, *numbers in table.texts():
        lines.append(_row([_md(name), *numbers]))
    lines.append("")
    return lines


def _meeting_markdown(minutes: Minutes, meeting: MinutesMeeting) -> list[str]:
    lines = [f"## {meeting_heading(meeting, _md)}", ""]
    lines.append(_("- 会議ID：%(id)s", id=meeting.id))
    lines.append(
        _("- 業務：%(area)s（%(id)s）", area=_md(meeting.area_name), id=_md(meeting.area_id))
    )
    lines.append(_("- 開催日：%(date)s", date=wareki_with_western(meeting.held_on)))
    if meeting.place:
        lines.append(_("- 場所：%(place)s", place=_md(meeting.place)))
    lines.append(_("- 進行：%(name)s", name=_md(meeting.moderator)))
    groups: dict[str | None, list[str]] = {}
    for attendee in meeting.attendees:
        groups.setdefault(attendee.town_id, []).append(attendee_text(attendee, _md))
    for town in [*(t.id for t in minutes.towns), None]:
        if town in groups:
            lines.append(
                _(
                    "- 出席者（%(town)s）：%(names)s",
                    town=_md(minutes.town_name(town)) if town else _("その他"),
                    names="、".join(groups[town]),
                )
            )
    lines.append("")
    if meeting.carried:
        lines += [f"### {_('前回からの持ち越し対応事項')}", ""]
        for carried in meeting.carried:
            lines.append(
                "- "
                + _(
                    "%(action)s ／ %(origin)s ／ %(state)s",
                    action=action_text(minutes, carried.action, _md),
                    origin=carried_origin(carried, _md),
                    state=carried_state(carried, meeting.held_on),
                )
                + (f"：{_md(carried.note)}" if carried.done and carried.note else "")
            )
        lines.append("")
    if meeting.agenda:
        decided = {d.function_id: d for d in meeting.decisions}
        lines += [f"### {_('議題')}", ""]
        lines.append(_row([_("順"), _("機能ID"), _("機能名"), _("結果")]))
        lines.append("|---:|---|---|---|")
        for number, item in enumerate(meeting.agenda, start=1):
            decision = decided.get(item.function_id)
            if decision is not None:
                result = f"{decision.name} {outcome_label(decision.outcome)}"
            elif item.later:
                result = _("次回以降に協議")
            else:
                result = _("未決定")
            row = [str(number), _md(item.function_id), _md(item.function_name), result]
            lines.append(_row(row))
        lines.append("")
    lines += [f"### {_('決定事項')}", ""]
    if not meeting.decisions:
        lines += [_("この会議で記録された決定はありません。"), ""]
        return lines
    town_ids = [t.id for t in minutes.towns]
    header = [_("決定"), _("機能ID"), _("機能名"), _("決定内容")]
    header += [_md(minutes.town_name(t)) for t in town_ids] + [_("状態")]
    lines.append(_row(header))
    lines.append("|" + "---|" * len(header))
    for decision in meeting.decisions:
        statuses = {v.town_id: status_text(v.status) for v in decision.verdicts}
        lines.append(
            _row(
                [
                    f"#{decision.shown_number}",
                    _md(decision.function_id),
                    _md(decision.function_name),
                    outcome_label(decision.outcome),
                    *(statuses.get(t, "—") for t in town_ids),
                    decision_state(decision),
                ]
            )
        )
    lines.append("")
    for decision in meeting.decisions:
        lines += _decision_markdown(minutes, decision)
    return lines


def _decision_markdown(minutes: Minutes, decision: MinutesDecision) -> list[str]:
    heading = decision.name
    name = _md(decision.function_name)
    lines = [f"#### {heading} {_md(decision.function_id)} {name}", ""]
    lines.append(_("- 決定内容：%(outcome)s", outcome=outcome_label(decision.outcome)))
    if decision.summary:
        lines.append(_("- 要旨：%(text)s", text=_md(decision.summary)))
    for verdict in decision.verdicts:
        line = f"- {verdict_text(minutes, verdict, _md)}"
        if verdict.note:
            line += _("：") + _md(verdict.note)
        lines.append(line)
    if decision.justification:
        lines.append(_("- やむを得ない理由：%(text)s", text=_md(decision.justification)))
    if decision.alternative:
        lines.append(_("- 疎結合・EUCで対応できない理由：%(text)s", text=_md(decision.alternative)))
    answer = minutes.vendor_answers.get(decision.function_id)
    if answer:
        lines.append(_("- ベンダー回答：%(text)s", text=_md(answer)))
    for action in decision.actions:
        lines.append(_("- 対応事項：%(text)s", text=action_text(minutes, action, _md)))
    if decision.supersedes_id is not None:
        lines.append(_("- 置き換えた決定：%(decision)s", decision=supersedes_text(decision)))
    lines.append(_("- 状態：%(state)s", state=decision_state(decision)))
    lines.append(
        _(
            "- 記録：%(name)s（%(time)s）",
            name=_md(decision.decided_by),
            time=local_time(decision.decided_at),
        )
    )
    lines.append("")
    return lines


# -- CSV and XLSX -----------------------------------------------------------------------------


def decision_header(minutes: Minutes) -> list[str]:
    """The columns of the decisions table (CSV and the first sheet)."""
    header = [
        _("会議ID"),
        _("開催日"),
        _("業務"),
        _("決定番号"),
        _("機能ID"),
        _("機能名"),
        _("決定内容"),
        _("要旨"),
    ]
    for town in minutes.towns:
        header += [
            _("%(town)sの判定", town=town.name),
            _("%(town)sの見直し内容・備考", town=town.name),
        ]
    header += [
        _("やむを得ない理由"),
        _("疎結合・EUCで対応できない理由"),
        _("ベンダー回答"),
        _("対応事項"),
        _("置き換えた決定"),
        _("状態"),
        _("記録者"),
        _("記録日時"),
    ]
    return header


# A row's cells are text, or typed where a spreadsheet should count or sort them: an int (a
# meeting's id, a decision's number), a date (開催日, 期限) or a Japan-time datetime (記録日時).
# The CSV writes them as text (`csv_text`); the workbook keeps their types.
Cell = str | int | date | datetime


def decision_rows(minutes: Minutes) -> list[list[Cell]]:
    """One row per decision, in the order of decision_header."""
    rows: list[list[Cell]] = []
    for meeting in minutes.meetings:
        for decision in meeting.decisions:
            verdicts = {v.town_id: v for v in decision.verdicts}
            row: list[Cell] = [
                meeting.id,
                meeting.held_on,
                meeting.area_name,
                decision.shown_number,
                decision.function_id,
                decision.function_name,
                outcome_label(decision.outcome),
                decision.summary,
            ]
            for town in minutes.towns:
                verdict = verdicts.get(town.id)
                if verdict is None:
                    row += ["", ""]
                else:
                    row += [status_text(verdict.status), verdict.note or ""]
            row += [
                decision.justification or "",
                decision.alternative or "",
                minutes.vendor_answers.get(decision.function_id, ""),
                "\n".join(action_text(minutes, a) for a in decision.actions),
                supersedes_text(decision),
                decision_state(decision),
                decision.decided_by,
                japan_time(decision.decided_at).replace(tzinfo=None, second=0, microsecond=0),
            ]
            rows.append(row)
    return rows


# A date in 和暦 (令和7年4月15日), still a date to sort and count by; a time as
# 2025-04-15 15:40 (Japan time).
XLSX_DATE_FORMAT = XLSX_WAREKI_FORMAT
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def csv_text(cell: Cell) -> str:
    """A cell as the CSV (and the people reading it) write it: dates in 和暦 with the Western
    date beside them, times in Japan time."""
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, date):
        return wareki_with_western(cell)
    return str(cell)


def to_csv(minutes: Minutes) -> bytes:
    """The decisions as CSV for Japanese Excel: UTF-8 with BOM, CRLF, no live formulas."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    # The header names the towns: a town's name is user text like any other cell.
    writer.writerow([neutralise(cell) for cell in decision_header(minutes)])
    for row in decision_rows(minutes):
        writer.writerow([neutralise(csv_text(cell)) for cell in row])
    carried = carried_rows(minutes)
    if carried:
        # The carried-over action items are a table of their own (the workbook gives them a
        # sheet): after an empty row and a title, so the decisions stay one table at the top.
        writer.writerow([])
        writer.writerow([neutralise(_("前回からの持ち越し対応事項"))])
        writer.writerow([neutralise(cell) for cell in carried_header()])
        for row in carried:
            writer.writerow([neutralise(csv_text(cell)) for cell in row])
    if minutes.scenario is not None:
        # A second table below the first, after an empty row, headed by its title.
        table = minutes.scenario
        writer.writerow([])
        writer.writerow([neutralise(table.title)])
        writer.writerow([neutralise(cell) for cell in table.header()])
        for values in table.values():
            writer.writerow([neutralise("" if v is None else v) for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def text_width(text: str) -> int:
    """Display width in half-width cells: full-width and wide characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


XLSX_FONT = "Yu Gothic"
XLSX_FONT_SIZE = 10
XLSX_LINE_HEIGHT = 14  # points: one line of 10-point Yu Gothic
# Long text wraps within this many half-width characters, so the decisions print legibly on
# one A3 page's width.
MAX_COLUMN_WIDTH = 30


def action_header() -> list[str]:
    """The columns of the action items sheet."""
    return [
        _("開催日"),
        _("決定番号"),
        _("機能ID"),
        _("機能名"),
        _("担当"),
        _("内容"),
        _("期限"),
        _("状態"),
    ]


def action_rows(minutes: Minutes) -> list[list[Cell]]:
    """One row per action item, decision by decision."""
    return [
        [
            meeting.held_on,
            decision.shown_number,
            decision.function_id,
            decision.function_name,
            minutes.town_name(action.town_id),
            action.what,
            action.due_on or "",
            decision_state(decision),
        ]
        for meeting in minutes.meetings
        for decision in meeting.decisions
        for action in decision.actions
    ]


def carried_header() -> list[str]:
    """The columns of the carried-over action items (前回からの持ち越し対応事項)."""
    return [
        _("会議の開催日"),
        _("担当"),
        _("内容"),
        _("期限"),
        _("元の決定"),
        _("機能ID"),
        _("機能名"),
        _("状況"),
        _("完了の報告"),
    ]


def carried_rows(minutes: Minutes) -> list[list[Cell]]:
    """One row per carried-over action item, meeting by meeting."""
    return [
        [
            meeting.held_on,
            minutes.town_name(carried.action.town_id),
            carried.action.what,
            carried.action.due_on or "",
            decision_name(carried.origin),
            carried.function_id,
            carried.function_name,
            carried_state(carried, meeting.held_on),
            (carried.note or "") if carried.done else "",
        ]
        for meeting in minutes.meetings
        for carried in meeting.carried
    ]


def mark_header() -> list[str]:
    """The columns of a town's marks sheet."""
    return [_("機能ID"), _("機能名"), _("判定"), _("備考"), _("決定")]


def mark_rows(minutes: Minutes, town_id: str) -> list[list[Cell]]:
    """A town's current marks on the functions of the log, in the log's order."""
    rows: list[list[Cell]] = []
    for mark in minutes.marks:
        if mark.town_id != town_id:
            continue
        decision = minutes.current_decision(mark.function_id)
        rows.append(
            [
                mark.function_id,
                mark.function_name,
                status_text(mark.status),
                tidy_note(mark.note) or "",
                _decision_of_mark(decision),
            ]
        )
    return rows


def _decision_of_mark(decision: MinutesDecision | None) -> str:
    if decision is None:
        return ""
    if decision.held_on is None:
        return decision.name
    return decision_name(DecisionRef(decision.meeting_id, decision.held_on, decision.shown_number))


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# A title's "Heading: name" (the English of 見出し：名前) reads as "Heading - name" in a sheet name.
_SHEET_COLON = re.compile(r"\s*:\s+")


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unique worksheet name (at most 31 characters, none of []:*?/\\)."""
    base = _SHEET_FORBIDDEN.sub("_", _SHEET_COLON.sub(" - ", text))[:31].rstrip() or "sheet"
    title, number = base, 2
    while title in taken:
        suffix = f"_{number}"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title)
    return title


def to_xlsx(minutes: Minutes) -> bytes:
    """The log as an Excel workbook: decisions, action items, the action items carried over
    from earlier meetings (when there are), and each town's marks."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    taken: set[str] = set()
    sheets: list[tuple[str, list[str], Sequence[Sequence[object]]]] = [
        (_("決定事項"), decision_header(minutes), decision_rows(minutes)),
        (_("対応事項"), action_header(), action_rows(minutes)),
    ]
    if any(m.carried for m in minutes.meetings):
        sheets.append((_("持ち越し対応事項"), carried_header(), carried_rows(minutes)))
    for town in minutes.towns:
        sheets.append(
            (_("%(town)sの判定", town=town.name), mark_header(), mark_rows(minutes, town.id))
        )
    if minutes.scenario is not None:
        table = minutes.scenario
        sheets.append((table.title, table.header(), table.values()))
    font = Font(name=XLSX_FONT, size=XLSX_FONT_SIZE)
    bold = Font(name=XLSX_FONT, size=XLSX_FONT_SIZE, bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, (title, header, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        assert sheet is not None  # noqa: S101 - a new Workbook always has its first sheet
        sheet.title = sheet_title(title, taken)
        sheet.append([neutralise(ILLEGAL_CHARACTERS_RE.sub("", cell)) for cell in header])
        for row in rows:
            # The control characters a workbook cannot hold (ESC, NUL, ...) are dropped first:
            # what is left must not start a formula either. Numbers stay numbers.
            sheet.append(
                [
                    neutralise(ILLEGAL_CHARACTERS_RE.sub("", cell))
                    if isinstance(cell, str)
                    else cell
                    for cell in row
                ]
            )
        widths = [text_width(h) for h in header]
        texts: dict[tuple[int, int], str] = {}  # what each cell shows, for the row heights
        for row_cells in sheet.iter_rows():
            for cell in row_cells:
                cell.font = bold if cell.row == 1 else font
                cell.alignment = wrap
                value = "" if cell.value is None else str(cell.value)
                if isinstance(cell.value, datetime):
                    cell.number_format = XLSX_DATETIME_FORMAT
                    value = csv_text(cell.value)
                elif isinstance(cell.value, date):
                    cell.number_format = XLSX_DATE_FORMAT
                    value = wareki(cell.value)
                elif isinstance(cell.value, float):
                    cell.number_format = "0.0"
                elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                    cell.number_format = "#,##0"
                    value = f"{cell.value:,}"
                longest = max((text_width(line) for line in value.split("\n")), default=0)
                widths[cell.column - 1] = max(widths[cell.column - 1], longest)
                texts[(cell.row, cell.column)] = value
        widths = [min(width + 2, MAX_COLUMN_WIDTH) for width in widths]
        for number, width in enumerate(widths, start=1):
            letter = sheet.cell(row=1, column=number).column_letter
            sheet.column_dimensions[letter].width = width
        # Spreadsheets do not grow a row for wrapped text on their own when they open a file
        # (LibreOffice printed one line of every note): each row is as tall as its longest
        # cell wraps to.
        lines: dict[int, int] = {}
        for (row_number, column), value in texts.items():
            room = max(widths[column - 1] - 2, 1)
            wrapped = sum(max(1, -(-text_width(line) // room)) for line in value.split("\n"))
            lines[row_number] = max(lines.get(row_number, 1), wrapped)
        for row_number, count in lines.items():
            if count > 1:
                sheet.row_dimensions[row_number].height = XLSX_LINE_HEIGHT * count
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        # Printed landscape, as wide as the paper, the header row on every page: the
        # decisions (one column pair per town) on A3, the other sheets on A4.
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A3 if index == 0 else sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "1:1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
