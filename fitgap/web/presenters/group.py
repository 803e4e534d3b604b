"""What the group page shows (参加団体の検討): the towns to choose from, each town's merit as a
bar chart and a table, the agreement heat map, the suggestions and the saved scenarios side
by side (view models)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlmodel import Session

from fitgap.domain.files.group import MAX_YEARS
from fitgap.domain.group.agreement import Agreement
from fitgap.domain.group.basis import GroupBasis, GroupError, GroupResult, TownMerit
from fitgap.domain.i18n import _, current_language
from fitgap.domain.labels import membership_label
from fitgap.domain.values import Membership
from fitgap.services import group as group_service
from fitgap.store import group as group_queries
from fitgap.store.models import GroupScenario

__all__ = [
    "AGREEMENT_LEVELS",
    "Bar",
    "Choice",
    "MeritChart",
    "agreement_level",
    "compare_context",
    "is_small_number",
    "kept_basis",
    "merit_chart",
    "page_context",
    "parse_choice",
    "parse_years",
]

SUGGESTIONS_SHOWN = 5

# The heat map's grades: the lower the agreement, the hotter (the percentage is printed too).
AGREEMENT_LEVELS: tuple[tuple[float, str], ...] = (
    (0.95, "95%〜"),
    (0.90, "90〜95%"),
    (0.80, "80〜90%"),
    (0.70, "70〜80%"),
    (0.60, "60〜70%"),
    (0.0, "〜60%"),
)


def kept_basis() -> group_service.KeptBasis:
    """This app's kept group basis (one per process)."""
    kept: group_service.KeptBasis | None = current_app.extensions.get("fitgap.services.group")
    if kept is None:
        kept = current_app.extensions.setdefault("fitgap.services.group", group_service.KeptBasis())
    return kept


def agreement_level(rate: float | None) -> int:
    """The heat map grade 0 (agree) – 5 (disagree) of a rate; -1 without a rate."""
    if rate is None:
        return -1
    for level, (floor, _label) in enumerate(AGREEMENT_LEVELS):
        if rate >= floor:
            return level
    return len(AGREEMENT_LEVELS) - 1


def is_small_number(text: str) -> bool:
    """Whether the text is a plain number an id or a year count can be (ASCII digits, short:
    "²" is a digit to Python but not a number, a huge one overflows the database)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def parse_years(raw: str) -> tuple[int | None, list[str]]:
    """A scenario's years from a form ("" is none), or the problem with it."""
    if not raw:
        return None, []
    if is_small_number(raw) and 1 <= int(raw) <= MAX_YEARS:
        return int(raw), []
    return None, [_("年数は 1〜%(maximum)s の整数で入力してください", maximum=MAX_YEARS)]


@dataclass(frozen=True, slots=True)
class Choice:
    """The towns and horizon asked for, and what was wrong with the request."""

    town_ids: tuple[str, ...]
    years: int
    scenario: GroupScenario | None
    problems: tuple[str, ...]


def parse_choice(
    args: Mapping[str, Any], town_values: Sequence[str], basis: GroupBasis, session: Session
) -> Choice:
    """The towns (`town`, repeated) and years of the query, or those of a saved scenario
    (`scenario`); the members when nothing is chosen."""
    problems: list[str] = []
    scenario = None
    years = basis.terms.years
    town_ids: list[str] = list(town_values)
    raw_scenario = args.get("scenario")
    if raw_scenario:
        found = (
            group_queries.get_scenario(session=session, scenario_id=int(raw_scenario))
            if is_small_number(str(raw_scenario))
            else None
        )
        if found is None:
            problems.append(_("シナリオ %(id)s はありません", id=raw_scenario))
        else:
            scenario = found
            town_ids = list(found.towns)
            years = found.years or years
    raw_years = args.get("years")
    if raw_years:
        if not is_small_number(str(raw_years)) or not 1 <= int(raw_years) <= MAX_YEARS:
            problems.append(_("年数は 1〜%(maximum)s の整数で入力してください", maximum=MAX_YEARS))
        else:
            years = int(raw_years)
    if not town_ids:
        town_ids = group_service.default_towns(basis)
    try:
        problems.extend(basis.problems(basis.indices(town_ids)))
    except GroupError as error:
        problems.extend(error.problems)
    if not town_ids and not problems:
        problems.append(_("町を一つ以上選んでください"))
    return Choice(tuple(town_ids), years, scenario, tuple(problems))


@dataclass(frozen=True, slots=True)
class Bar:
    """One town's bar of the merit chart (SVG coordinates)."""

    name: str
    merit_yen: int
    x: float
    width: float
    y: float
    positive: bool
    label: str
    label_x: float
    label_anchor: str


@dataclass(frozen=True, slots=True)
class MeritChart:
    """The merit bar chart: a zero line, one bar per town, values in 万円."""

    width: int
    height: int
    zero_x: float
    bars: tuple[Bar, ...]
    row_height: int
    bar_height: int
    name_width: int


def _short_yen(yen: int) -> str:
    """A bar's label: 万円 in Japanese, millions of yen in English (short enough to fit)."""
    if current_language() == "ja":
        return _("%(value)s万円", value=f"{yen / 10_000:+,.0f}")
    return f"{yen / 1_000_000:+,.1f}M yen"


def merit_chart(merits: Sequence[TownMerit], width: int = 640) -> MeritChart:
    """Horizontal bars from a zero line: right for a gain, left for a loss."""
    name_width, value_room, row, bar = 130, 120, 34, 20
    low = min([0, *(m.merit_yen for m in merits)])
    high = max([0, *(m.merit_yen for m in merits)])
    span = (high - low) or 1
    left = name_width + (value_room if low < 0 else 8)
    right = width - (value_room if high > 0 else 8)
    scale = (right - left) / span
    zero = left + (0 - low) * scale
    bars = []
    for k, merit in enumerate(merits):
        value = merit.merit_yen
        length = abs(value) * scale
        positive = value >= 0
        x = zero if positive else zero - length
        bars.append(
            Bar(
                name=merit.name,
                merit_yen=value,
                x=round(x, 1),
                width=round(max(length, 1.0), 1),
                y=k * row + (row - bar) / 2,
                positive=positive,
                label=_short_yen(value),
                label_x=round(x + length + 6 if positive else x - 6, 1),
                label_anchor="start" if positive else "end",
            )
        )
    return MeritChart(
        width=width,
        height=max(1, len(merits)) * row,
        zero_x=round(zero, 1),
        bars=tuple(bars),
        row_height=row,
        bar_height=bar,
        name_width=name_width,
    )


def _pair_rows(made: Agreement, names: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = []
    for pair in made.pulling_apart():
        rows.append({"pair": pair, "a": names[pair.a], "b": names[pair.b]})
    return rows


def _matrix(made: Agreement) -> list[list[float | None]]:
    return [[made.rate(a, b) for b in made.town_ids] for a in made.town_ids]


def page_context(
    *, basis: GroupBasis, report: group_service.GroupReport, choice: Choice
) -> dict[str, Any]:
    """Everything the page's template shows for one choice of towns."""
    names = {t.id: t.name for t in basis.towns}
    chosen = set(report.result.town_ids)
    towns = [
        {
            "id": t.id,
            "name": t.name,
            "membership": membership_label(t.membership),
            "member": t.membership is Membership.MEMBER,
            "left_since": t.left_since,
            "left_reason": t.left_reason,
            "chosen": t.id in chosen,
            "usable": not basis.problems([j]),
            "population": t.population,
            "current_annual_yen": t.current_annual_yen,
        }
        for j, t in enumerate(basis.towns)
    ]
    return {
        "terms": basis.terms,
        "towns": towns,
        "names": names,
        "result": report.result,
        "chart": merit_chart(report.result.merits),
        "agreement": report.agreement,
        "matrix": _matrix(report.agreement),
        "pairs": _pair_rows(report.agreement, names),
        "suggestions": report.suggestions[:SUGGESTIONS_SHOWN],
        "more_suggestions": max(0, len(report.suggestions) - SUGGESTIONS_SHOWN),
        "choice": choice,
        "stamp": report.stamp,
        "levels": AGREEMENT_LEVELS,
        "agreement_level": agreement_level,
        "max_years": MAX_YEARS,
    }


@dataclass(frozen=True, slots=True)
class ComparedScenario:
    """One saved scenario evaluated for the side-by-side comparison."""

    scenario: GroupScenario
    result: GroupResult | None
    problem: str | None

    def merit_of(self, town_id: str) -> TownMerit | None:
        """The town's merit in this scenario (None when it is not part of it)."""
        if self.result is None:
            return None
        return next((m for m in self.result.merits if m.town_id == town_id), None)


def compare_context(*, basis: GroupBasis, scenarios: Sequence[GroupScenario]) -> dict[str, Any]:
    """Saved scenarios side by side: size, risk, divergence and every town's merit."""
    compared = []
    for scenario in scenarios:
        try:
            result = basis.evaluate(scenario.towns, scenario.years)
            compared.append(ComparedScenario(scenario, result, None))
        except GroupError as error:
            compared.append(ComparedScenario(scenario, None, " ".join(error.problems)))
    shown = {t for c in compared if c.result is not None for t in c.result.town_ids}
    return {
        "compared": compared,
        "compared_towns": [t for t in basis.towns if t.id in shown],
        "terms": basis.terms,
    }
