"""What the dashboard shows, as view models: the group's risk read in plain words (compared
with what, and which changes lower it most), the graded town × area heat map, the functions
to discuss and the asks with names beside ids (paged, and whole as CSV), the cost lens with
why a saving may be 0 for the group, and the progress over time."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from fitgap.domain.files.cells import neutralise
from fitgap.domain.i18n import N_, _
from fitgap.domain.labels import status_label
from fitgap.domain.risk.cost import CostLens, CostSplit, CustomizationCost, cost_lens
from fitgap.domain.risk.progress import Progress
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import BestAsk, FunctionScore, GroupScore, format_risk
from fitgap.domain.risk.steering import explain_ask, explain_contribution, with_answers
from fitgap.domain.vendor import VendorAnswer, one_line, vendor_estimates
from fitgap.domain.wareki import japan_today
from fitgap.store import catalog as catalog_queries
from fitgap.store import vendor as vendor_queries
from fitgap.web.presenters.progress_chart import progress_chart
from fitgap.web.presenters.vendor import AnswerView, answer_view

PAGE_SIZE = 20
TOP_ASKS = 10
READING_ASKS = 3
TOP_SAVINGS = 30


@dataclass(frozen=True, slots=True)
class Grade:
    """One step of the heat map: a colour, a word and the range it covers."""

    level: int
    word: str
    range_text: str


# Steps chosen for how the numbers fall in practice: a town's customizations are a small share
# of its worst case, so the low end is split finely; above 50 is the violation band.
_GRADES = (
    (0.0, N_("なし"), N_("0（カスタマイズなし）")),
    (0.5, N_("ごく低"), N_("0 を超え 0.5 以下")),
    (1.0, N_("低"), N_("0.5 を超え 1 以下")),
    (2.5, N_("やや低"), N_("1 を超え 2.5 以下")),
    (5.0, N_("中"), N_("2.5 を超え 5 以下")),
    (50.0, N_("高"), N_("5 を超え 50 以下")),
    (100.0, N_("違反"), N_("50 を超える（実装不可機能のカスタマイズあり）")),
)


def grades() -> list[Grade]:
    """The heat map's legend, lowest first."""
    return [Grade(k, _(word), _(text)) for k, (_top, word, text) in enumerate(_GRADES)]


def grade_of(risk: float) -> Grade:
    """The heat map step of a risk (the value is always written in the cell too)."""
    for k, (top, word, text) in enumerate(_GRADES):
        if risk <= top:
            return Grade(k, _(word), _(text))
    return Grade(len(_GRADES) - 1, _(_GRADES[-1][1]), _(_GRADES[-1][2]))


@dataclass(frozen=True, slots=True)
class Reading:
    """The group's risk in plain words: what it is, compared with what, and what to do."""

    band: str  # なし / 認められたカスタマイズだけ / 違反あり
    sentences: tuple[str, ...]  # the counts, and the number compared with a yardstick
    asks: tuple[tuple[BestAsk, str], ...]  # the three changes that lower it most
    scale: str  # what 0, 50 and 100 mean


def _function_text(function_id: str, names: dict[str, str]) -> str:
    name = names.get(function_id)
    return _("%(id)s「%(name)s」", id=function_id, name=name) if name else function_id


def reading(
    board: Scoreboard, group: GroupScore, asks: Sequence[BestAsk], names: dict[str, str]
) -> Reading:
    """How a first-time reader should read the group's risk."""
    n = board.n_towns
    cells = n * group.n_functions
    risk = format_risk(group.risk)
    if group.customizations == 0:
        band = _("カスタマイズなし")
    elif group.violations:
        band = _("違反あり")
    else:
        band = _("認められたカスタマイズだけ")
    sentences = [
        _(
            "%(towns)s町 × %(functions)s機能 = %(cells)s 件の判定のうち、カスタマイズは"
            " %(custom)s 件（うち実装不可機能の違反 %(violations)s 件）、"
            "未判定は %(undecided)s 件です。",
            towns=n,
            functions=f"{group.n_functions:,}",
            cells=f"{cells:,}",
            custom=f"{group.customizations:,}",
            violations=group.violations,
            undecided=f"{group.undecided:,}",
        ),
    ]
    scale = _(
        "リスクは 0〜100 で、0 はカスタマイズなし。認められた機能（実装必須・標準オプション）の"
        "カスタマイズだけなら 50 以下で、50 は全町がすべての機能をカスタマイズした場合です。"
        "実装不可機能のカスタマイズ（違反）が1件でもあると 50 を超えます。"
    )
    if group.max_units and n:
        # One lone customization of a mandatory function: the yardstick a town can picture.
        lone = 50.0 * (2 * n - 1) / group.max_units
        if group.violations:
            sentences.append(
                _(
                    "いまの %(risk)s は違反の帯にあります。違反は標準準拠そのものを崩すので、"
                    "ほかの何よりも先になくしてください。",
                    risk=risk,
                )
            )
        elif group.customizations:
            sentences.append(
                _(
                    "いまの %(risk)s は、1つの町だけが実装必須機能を1件カスタマイズした場合"
                    "（%(lone)s）の約 %(times)s 件分です。小さく見えても、カスタマイズ1件ごとに"
                    "版上げのたびの再テストと改修が増えます。目標は 0 です。",
                    risk=risk,
                    lone=f"{lone:.2f}",
                    times=f"{group.units / (2 * n - 1):,.1f}",
                )
            )
        else:
            sentences.append(_("カスタマイズはありません。このまま 0 を保つのが目標です。"))
    shown = tuple((ask, explain_ask(ask, board)) for ask in asks[:READING_ASKS])
    return Reading(band, tuple(sentences), shown, scale)


@dataclass(frozen=True, slots=True)
class FunctionRow:
    """One function to discuss, with its name and what it adds to the group's risk."""

    score: FunctionScore
    name: str
    in_group: float  # points of the group's (or area's) risk
    lines: tuple[str, ...]  # one sentence per contribution, in the group's points


def function_rows(
    board: Scoreboard, area_id: str | None, scores: Sequence[FunctionScore], names: dict[str, str]
) -> list[FunctionRow]:
    """The functions to discuss, each counted on the same scale as the group's risk."""
    parts = board.in_group([s.id for s in scores], area_id)
    return [
        FunctionRow(
            score=s,
            name=names.get(s.id, ""),
            in_group=sum(c.points for c in parts[s.id]),
            lines=tuple(explain_contribution(c) for c in parts[s.id]),
        )
        for s in scores
    ]


def answered_asks(
    board: Scoreboard,
    area_id: str | None,
    top: Sequence[BestAsk],
    answers: Mapping[str, VendorAnswer],
) -> tuple[BestAsk, ...]:
    """The asks to show, each with the vendor's answer on its function: an ask the vendor says
    needs no customization (a standard function, a setting, a procedure) comes first wherever
    it ranks by the risk it removes, since no evidence is stronger; then the `top` asks."""
    avoiding = {f for f, answer in answers.items() if answer.avoids_customization}
    extra = (
        board.best_asks(area_id, one_per_function=True, function_ids=avoiding) if avoiding else ()
    )
    shown = {ask.function_id for ask in top}
    merged = sorted(
        [*top, *(ask for ask in extra if ask.function_id not in shown)],
        key=lambda ask: (-ask.group_drop, ask.function_id, ask.town_id or ""),
    )
    return with_answers(merged, answers)[:TOP_ASKS]


@dataclass(frozen=True, slots=True)
class AskRow:
    """One ask of the dashboard: the ask, its sentence and the vendor's answer on it."""

    ask: BestAsk
    sentence: str
    answer: AnswerView | None


def saving_note(item: CustomizationCost, town_name: str) -> str:
    """Why the group's saving is what it is: the line beside a town's own saving."""
    if item.town_saving_yen is None:
        return _("見積りがないため金額は出せません。")
    if item.group_saving_yen is None:
        return _(
            "ほかの町の見積りがないため、全体の削減額は出せません（%(town)sの負担は減ります）。",
            town=town_name,
        )
    if item.sharing > 1 and item.group_saving_yen < item.town_saving_yen:
        shifted = item.shifted_yen or 0.0
        if item.group_saving_yen <= 0:
            return _(
                "ほかの %(others)s 町が同じカスタマイズを続けるので作る費用は残り、"
                "全体では減りません。"
                "%(town)sの負担分 %(shifted)s円 はほかの町に移ります。",
                others=item.sharing - 1,
                town=town_name,
                shifted=f"{round(shifted):,}",
            )
        return _(
            "ほかの町が続けるため、全体の削減は一部です。"
            "%(shifted)s円 はほかの町の負担に移ります。",
            shifted=f"{round(shifted):,}",
        )
    return _("この町だけのカスタマイズなので、町の削減額がそのまま全体の削減額です。")


def cost_source(by_vendor: bool) -> str:
    """Whose figure a customization's cost is."""
    return _("ベンダーの見積り") if by_vendor else _("町の見積り")


def savings(lens: CostLens) -> list[CustomizationCost]:
    """The customizations, the biggest savings first."""
    return sorted(
        lens.customizations,
        key=lambda c: (
            -(c.group_saving_yen if c.group_saving_yen is not None else -1.0),
            -(c.town_saving_yen if c.town_saving_yen is not None else -1.0),
            c.function_id,
            c.town_id,
        ),
    )


def dashboard_context(
    *,
    session: Session,
    board: Scoreboard,
    area_id: str | None,
    split: CostSplit,
    page: int,
    progress: Progress,
    progress_town: str | None,
) -> dict[str, Any]:
    """Everything the dashboard's scores block shows."""
    group = board.group_score(area_id, breakdown=False)
    towns = board.town_scores(area_id, breakdown=False)
    area_ids = board.area_ids if area_id is None else (area_id,)
    heat = {
        (town.id, a): board.town_score(town.id, a, breakdown=False).risk
        for town in towns
        for a in area_ids
    }
    _first, to_discuss = board.to_discuss(area_id, limit=0)
    pages = max(1, -(-to_discuss // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown, _total = board.to_discuss(area_id, limit=page * PAGE_SIZE)
    shown = shown[(page - 1) * PAGE_SIZE :]
    asks = board.best_asks(area_id, limit=TOP_ASKS, one_per_function=True)
    answers = vendor_queries.latest_answers(session=session)
    asked = answered_asks(board, area_id, asks, answers)
    lens = cost_lens(board, split, area_id, vendor_estimates=vendor_estimates(answers))
    ranked = savings(lens)[:TOP_SAVINGS]
    ids = {s.id for s in shown} | {a.function_id for a in (*asks, *asked)}
    ids |= {c.function_id for c in ranked} | {f.function_id for f in lens.functions if f.by_vendor}
    names = catalog_queries.function_names(session=session, function_ids=ids)
    return {
        "group": group,
        "reading": reading(board, group, asks, names),
        "towns": towns,
        "area_ids": area_ids,
        "heat": heat,
        "grade_of": grade_of,
        "grades": grades(),
        "functions": function_rows(board, area_id, shown, names),
        "to_discuss": to_discuss,
        "page": page,
        "pages": pages,
        "page_size": PAGE_SIZE,
        "first_row": (page - 1) * PAGE_SIZE + 1,
        "asks": [AskRow(ask, explain_ask(ask, board), answer_view(ask.answer)) for ask in asked],
        "lens": lens,
        "vendor_priced": [f for f in lens.functions if f.by_vendor],
        "vendor_function_ids": {f.function_id for f in lens.functions if f.by_vendor},
        "savings": ranked,
        "saving_note": saving_note,
        "split": split,
        "town_name": board.town_name,
        "function_names": names,
        "function_text": lambda function_id: _function_text(function_id, names),
        "chart": progress_chart(progress, board, progress_town),
        "progress_town": progress_town,
    }


# --- the full lists, as CSV for Excel ------------------------------------------------------


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """UTF-8 with BOM, CRLF, every cell neutralised (no live formulas)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def functions_csv(
    *, session: Session, board: Scoreboard, area_id: str | None, area_names: dict[str, str]
) -> bytes:
    """Every function to discuss, in the dashboard's order, with names and both scales."""
    _first, total = board.to_discuss(area_id, limit=0)
    scores, _total = board.to_discuss(area_id, limit=total)
    names = catalog_queries.function_names(session=session, function_ids=[s.id for s in scores])
    parts = board.in_group([s.id for s in scores], area_id)
    header = [
        _("機能ID"),
        _("機能名"),
        _("業務"),
        _("相違の種類"),
        _("機能のリスク（0〜100）"),
        _("全体のリスクへの寄与（点）"),
        *(board.town_name(t) for t in board.town_ids),
    ]
    rows = [
        [
            s.id,
            names.get(s.id, ""),
            area_names.get(s.area_id, s.area_id),
            s.divergence.label,
            format_risk(s.risk),
            format_risk(sum(c.points for c in parts[s.id])),
            *(status_label(s.statuses[t]) for t in board.town_ids),
        ]
        for s in scores
    ]
    return _csv(header, rows)


def asks_csv(*, session: Session, board: Scoreboard, area_id: str | None) -> bytes:
    """Every ask, one per function, the largest drop of the group's risk first."""
    asks = board.best_asks(area_id, one_per_function=True)
    names = catalog_queries.function_names(
        session=session, function_ids=[a.function_id for a in asks]
    )
    answers = vendor_queries.latest_answers(
        session=session, function_ids=[a.function_id for a in asks]
    )
    header = [
        _("順位"),
        _("機能ID"),
        _("機能名"),
        _("依頼する町"),
        _("全体のリスクの下がり幅（点）"),
        _("依頼の文"),
        _("ベンダー回答"),
    ]
    rows = [
        [
            k,
            ask.function_id,
            names.get(ask.function_id, ""),
            _("、").join(board.town_name(t) for t in ask.towns),
            format_risk(ask.group_drop),
            explain_ask(ask, board),
            one_line(answers[ask.function_id]) if ask.function_id in answers else "",
        ]
        for k, ask in enumerate(asks, start=1)
    ]
    return _csv(header, rows)


def savings_csv(
    *, session: Session, board: Scoreboard, area_id: str | None, split: CostSplit
) -> bytes:
    """Every customization's 10-year saving, for the town and for the group, with the why."""
    estimates = vendor_estimates(vendor_queries.latest_answers(session=session))
    lens = cost_lens(board, split, area_id, vendor_estimates=estimates)
    ranked = savings(lens)
    by_vendor = {f.function_id for f in lens.functions if f.by_vendor}
    names = catalog_queries.function_names(
        session=session, function_ids=[c.function_id for c in ranked]
    )

    def yen(value: float | None) -> object:
        return "" if value is None else round(value)

    header = [
        _("町"),
        _("機能ID"),
        _("機能名"),
        _("カスタマイズする町の数"),
        _("町の削減額（円）"),
        _("全体の削減額（円）"),
        _("費用の根拠"),
        _("説明"),
    ]
    rows = [
        [
            board.town_name(c.town_id),
            c.function_id,
            names.get(c.function_id, ""),
            c.sharing,
            yen(c.town_saving_yen),
            yen(c.group_saving_yen),
            cost_source(c.function_id in by_vendor),
            saving_note(c, board.town_name(c.town_id)),
        ]
        for c in ranked
    ]
    return _csv(header, rows)


def today_in_japan() -> date:
    """Today's date in Japan, where the meetings are held."""
    return japan_today()
