"""The scoreboard as output: the JSON object of `fitgap score --format json` (the contract's
shape) and the readable report of `fitgap score --format text`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from fitgap.domain.i18n import _
from fitgap.domain.labels import status_label
from fitgap.domain.risk.divergence import DivergenceKind
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import BestAsk, format_risk, round_risk
from fitgap.domain.risk.steering import explain_ask

__all__ = ["to_contract_json", "to_text"]


def to_contract_json(
    board: Scoreboard, area_id: str | None = None, *, asks: int = 10
) -> dict[str, Any]:
    """The object printed by `fitgap score --format json` (see the contract), with extras."""
    group = board.group_score(area_id, breakdown=False)
    area_ids = board.area_ids if area_id is None else (area_id,)
    return {
        "group": {
            "risk": round_risk(group.risk),
            "customizations": group.customizations,
            "violations": group.violations,
            "undecided": group.undecided,
            "area": area_id,
            "towns": group.n_towns,
            "functions": group.n_functions,
            "counts": group.counts.as_dict(),
        },
        "towns": [
            {
                "id": town.id,
                "name": town.name,
                "risk": round_risk(town.risk),
                "customizations": town.customizations,
                "violations": town.violations,
                "undecided": town.undecided,
                "counts": town.counts.as_dict(),
            }
            for town in board.town_scores(area_id, breakdown=False)
        ],
        "areas": [
            {
                "id": area.id,
                "risk": round_risk(area.risk),
                "customizations": area.customizations,
                "violations": area.violations,
                "undecided": area.undecided,
                "functions": area.n_functions,
            }
            for area in (board.area_score(a, breakdown=False) for a in area_ids)
        ],
        "functions": [_function_json(board, i) for i in board._scope_functions(area_id)],
        "best_asks": [_ask_json(ask) for ask in board.best_asks(area_id, asks)],
    }


def _function_json(board: Scoreboard, i: int) -> dict[str, Any]:
    # Built from the row directly: a FunctionScore (with its contributions) per function
    # would cost more than the whole scoring at 20,000 functions.
    row = board._rows[i]
    function = board._functions[i]
    return {
        "id": function.id,
        "area": function.area_id,
        "requirement": function.requirement.value,
        "risk": round_risk(board._function_risk(i)),
        "divergent": row.divergent,
        "violation": row.kind is DivergenceKind.VIOLATION,
        "kind": row.kind.value,
        # Status is a str enum: JSON writes its value as it is, no str() per cell needed.
        "statuses": dict(zip(board.town_ids, row.statuses, strict=True)),
    }


def _ask_json(ask: BestAsk) -> dict[str, Any]:
    return {
        "function": ask.function_id,
        "area": ask.area_id,
        "town": ask.town_id,
        "towns": list(ask.towns),
        "kind": ask.kind.value,
        "group_drop": round_risk(ask.group_drop),
        "town_drop": None if ask.town_drop is None else round_risk(ask.town_drop),
        "evidence": [
            {"town": e.town_id, "status": e.status.value, "note": e.note} for e in ask.evidence
        ],
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]
) -> list[str]:
    widths = [max(_width(line[k]) for line in [header, *rows]) for k in range(len(header))]
    lines: list[str] = []
    for line in [header, *rows]:
        cells = [_pad(cell, widths[k], right=right[k]) for k, cell in enumerate(line)]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def to_text(board: Scoreboard, area_id: str | None = None, *, top: int = 10) -> str:
    """A readable report for `fitgap score --format text`: group, towns, areas, asks."""
    group = board.group_score(area_id, breakdown=False)
    lines: list[str] = []
    if area_id is None:
        lines.append(_("ガラパゴス・リスク（全体）: %(risk)s / 100", risk=format_risk(group.risk)))
    else:
        lines.append(
            _(
                "ガラパゴス・リスク（業務 %(area)s）: %(risk)s / 100",
                area=area_id,
                risk=format_risk(group.risk),
            )
        )
    lines.append(
        _(
            "カスタマイズ %(customizations)d件（うち実装不可機能 %(violations)d件）、"
            "未判定 %(undecided)d件、%(towns)d町 × %(functions)d機能",
            customizations=group.customizations,
            violations=group.violations,
            undecided=group.undecided,
            towns=group.n_towns,
            functions=group.n_functions,
        )
    )

    lines += ["", _("町別")]
    lines += _table(
        [_("町"), _("リスク"), _("カスタマイズ"), _("違反"), _("未判定")],
        [
            [
                f"{t.name} ({t.id})",
                format_risk(t.risk),
                str(t.customizations),
                str(t.violations),
                str(t.undecided),
            ]
            for t in board.town_scores(area_id, breakdown=False)
        ],
        [False, True, True, True, True],
    )

    lines += ["", _("業務別")]
    area_ids = board.area_ids if area_id is None else (area_id,)
    lines += _table(
        [_("業務"), _("リスク"), _("カスタマイズ"), _("違反")],
        [
            [a.id, format_risk(a.risk), str(a.customizations), str(a.violations)]
            for a in (board.area_score(x, breakdown=False) for x in area_ids)
        ],
        [False, True, True, True],
    )

    lines += ["", _("要協議の機能（違反を先に、リスクの高い順、上位%(top)d件）", top=top)]
    # A violation is never acceptable, so it leads whatever its risk. Rank on the rows and
    # build full scores only for the functions shown.
    ranked: list[tuple[bool, float, str, int]] = []
    for i in board._scope_functions(area_id):
        kind = board._rows[i].kind
        if kind is not DivergenceKind.NONE:
            violation = kind is DivergenceKind.VIOLATION
            ranked.append((not violation, -board._function_risk(i), board._functions[i].id, i))
    ranked.sort()
    flagged = [board._function_score(item[3]) for item in ranked[:top]]
    if flagged:
        lines += _table(
            [_("機能ID"), _("業務"), _("リスク"), _("相違"), _("カスタマイズする町")],
            [
                [
                    s.id,
                    s.area_id,
                    format_risk(s.risk),
                    s.divergence.label,
                    _("、").join(board.town_name(t) for t in s.divergence.customizing_towns),
                ]
                for s in flagged
            ],
            [False, False, True, False, False],
        )
    else:
        lines.append("  " + _("なし"))

    lines += ["", _("次回会議での依頼候補（リスクの下がる順、上位%(top)d件）", top=top)]
    asks = board.best_asks(area_id, top)
    if not asks:
        lines.append("  " + _("なし"))
    for rank, ask in enumerate(asks, start=1):
        lines.append(f"  {rank}. {explain_ask(ask, board)}")
        for item in ask.evidence:
            if item.note:
                evidence = _(
                    "%(town)s（%(status)s）: %(note)s",
                    town=board.town_name(item.town_id),
                    status=status_label(item.status),
                    note=" ".join(item.note.split()),
                )
                lines.append(f"       {evidence}")
    return "\n".join(lines) + "\n"
