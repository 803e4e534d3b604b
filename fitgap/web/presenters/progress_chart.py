"""The progress chart: the group's (or one town's) risk, customizations and violations at the
start, at each meeting and today, as the geometry of a server-drawn SVG and the table of the
same figures beside it (the table is the chart's text alternative)."""

from __future__ import annotations

from dataclasses import dataclass

from fitgap.domain.i18n import _
from fitgap.domain.risk.progress import Figures, Progress
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import format_risk
from fitgap.domain.wareki import wareki

WIDTH = 720
LEFT = 56
RIGHT = 24
RISK_TOP, RISK_BOTTOM = 28, 148  # the upper panel: risk on 0–100
COUNT_TOP, COUNT_BOTTOM = 196, 300  # the lower panel: customizations and violations
HEIGHT = 352
MAX_LABELS = 8  # date labels under the axis; the table has every point


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One checkpoint: where it is drawn and what it says."""

    x: float
    risk_y: float
    custom_y: float
    violation_y: float
    day: str  # 令和7年5月1日
    short_day: str  # 5/1
    labelled: bool  # whether its date is written under the axis
    meetings: tuple[str, ...]
    figures: Figures


@dataclass(frozen=True, slots=True)
class Tick:
    """A value on a y axis and where it is drawn."""

    y: float
    text: str


@dataclass(frozen=True, slots=True)
class ProgressChart:
    """Everything the chart template draws, and its table."""

    subject: str  # 全体 or a town's name
    points: tuple[ChartPoint, ...]
    risk_line: str  # SVG polyline points
    custom_line: str
    violation_line: str
    risk_ticks: tuple[Tick, ...]
    count_ticks: tuple[Tick, ...]
    band_y: float  # where 50 (the violation band) lies
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    risk_top: int = RISK_TOP
    risk_bottom: int = RISK_BOTTOM
    count_top: int = COUNT_TOP
    count_bottom: int = COUNT_BOTTOM


def _nice_top(value: int) -> int:
    """A round top for the count axis that splits into four whole steps."""
    for top in (4, 8, 12, 20, 40, 60, 80, 100, 200, 400, 600, 800, 1000, 2000, 4000, 8000):
        if value <= top:
            return top
    return -(-value // 4000) * 4000


def _line(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def progress_chart(progress: Progress, board: Scoreboard, town_id: str | None) -> ProgressChart:
    """The chart of the group (town_id None) or of one town."""
    if town_id is not None and town_id in progress.towns:
        series = progress.towns[town_id]
        subject = board.town_name(town_id)
    else:
        series = progress.group
        subject = _("全体")
    count = len(series)
    top = _nice_top(max((f.customizations for f in series), default=0))
    span = WIDTH - LEFT - RIGHT
    step = max(1, -(-count // MAX_LABELS))
    points: list[ChartPoint] = []
    for k, (checkpoint, figures) in enumerate(zip(progress.checkpoints, series, strict=True)):
        x = LEFT + (span * k / (count - 1) if count > 1 else span / 2)
        points.append(
            ChartPoint(
                x=x,
                risk_y=RISK_BOTTOM - (RISK_BOTTOM - RISK_TOP) * figures.risk / 100.0,
                custom_y=COUNT_BOTTOM - (COUNT_BOTTOM - COUNT_TOP) * figures.customizations / top,
                violation_y=COUNT_BOTTOM - (COUNT_BOTTOM - COUNT_TOP) * figures.violations / top,
                day=wareki(checkpoint.day),
                short_day=f"{checkpoint.day.month}/{checkpoint.day.day}",
                labelled=k % step == 0 or k == count - 1,
                meetings=checkpoint.meetings,
                figures=figures,
            )
        )
    risk_ticks = tuple(
        Tick(RISK_BOTTOM - (RISK_BOTTOM - RISK_TOP) * v / 100, str(v)) for v in (0, 25, 50, 75, 100)
    )
    count_ticks = tuple(
        Tick(COUNT_BOTTOM - (COUNT_BOTTOM - COUNT_TOP) * v / top, f"{v:,}")
        for v in (0, top // 4, top // 2, 3 * top // 4, top)
    )
    summary = ""
    if series:
        first, last = series[0], series[-1]
        meetings = sum(len(c.meetings) for c in progress.checkpoints)
        summary = _(
            "%(subject)s：カスタマイズ %(c0)s → %(c1)s 件、違反 %(v0)s → %(v1)s 件、"
            "リスク %(r0)s → %(r1)s（%(d0)s から %(d1)s まで、会議 %(m)s 回）。",
            subject=subject,
            c0=f"{first.customizations:,}",
            c1=f"{last.customizations:,}",
            v0=first.violations,
            v1=last.violations,
            r0=format_risk(first.risk),
            r1=format_risk(last.risk),
            d0=points[0].day,
            d1=points[-1].day,
            m=meetings,
        )
    return ProgressChart(
        subject=subject,
        points=tuple(points),
        risk_line=_line([(p.x, p.risk_y) for p in points]),
        custom_line=_line([(p.x, p.custom_y) for p in points]),
        violation_line=_line([(p.x, p.violation_y) for p in points]),
        risk_ticks=risk_ticks,
        count_ticks=count_ticks,
        band_y=RISK_BOTTOM - (RISK_BOTTOM - RISK_TOP) * 0.5,
        summary=summary,
    )
