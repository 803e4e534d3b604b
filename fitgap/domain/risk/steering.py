"""Steering the next meeting: which town to ask to move to a workflow change (the asks, ranked
by how much risk they remove), the other towns' evidence shown beside an ask, and one-sentence
explanations of a contribution and of an ask.

The functions work on the scoreboard's rows (Scoreboard's asks and evidence methods call
them), so this module does not import the scoreboard and the two stay free of a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from fitgap.domain.i18n import _
from fitgap.domain.risk.divergence import Row, risk_of
from fitgap.domain.risk.scores import (
    BestAsk,
    Contribution,
    Evidence,
    FunctionLike,
    format_risk,
)
from fitgap.domain.values import Requirement, Status
from fitgap.domain.vendor import VendorAnswer

__all__ = [
    "AskKey",
    "TownNames",
    "ask_keys",
    "asks",
    "evidence",
    "explain_ask",
    "explain_contribution",
    "first_per_function",
    "with_answers",
]

_FIT = Status.FIT
_WORKFLOW = Status.WORKFLOW_CHANGE

# Plain tuples (-drop units, function id, town id, function, town) so that ranking
# 45,000 customizations stays cheap; BestAsk objects are built for the kept ones only.
# The town is -1 (and its id "") for an ask of every customizing town of the function.
AskKey = tuple[int, str, str, int, int]


class TownNames(Protocol):
    """What an explanation needs of the scoreboard: the towns' display names."""

    def town_name(self, town_id: str) -> str: ...


def evidence(row: Row, town_ids: Sequence[str], skip: int = -1) -> tuple[Evidence, ...]:
    """The towns (but `skip`) that fit or change their workflow on this row's function."""
    found: list[Evidence] = []
    for j, status in enumerate(row.statuses):
        if j != skip and status in (_FIT, _WORKFLOW):
            mark = row.marks[j]
            found.append(Evidence(town_ids[j], status, mark.note if mark else None))
    return tuple(found)


def ask_keys(
    rows: Sequence[Row],
    functions: Sequence[FunctionLike],
    weights: Sequence[int],
    town_ids: Sequence[str],
    scope: Iterable[int],
    *,
    singles: bool,
    groups: int | None,
    group_max: int,
    violations: int,
) -> list[AskKey]:
    """The asks of the scope's customized functions, as sortable keys (see AskKey).

    `singles` adds one ask per customizing town; `groups` is the least number of customizing
    towns for an all-towns ask (None: none). `violations` is how many violations the scope
    holds: an ask that removes the last of them also takes the scope out of the violation
    band, worth `group_max` units more (see risk_of)."""
    n = len(town_ids)
    keys: list[AskKey] = []
    for i in scope:
        row = rows[i]
        if not row.customizers:
            continue
        m = len(row.customizers)
        function_id = functions[i].id
        prohibited = functions[i].requirement is Requirement.PROHIBITED
        if groups is not None and m >= groups:
            band = group_max if prohibited and violations == m else 0
            keys.append((-row.unit * m - band, function_id, "", i, -1))
        if singles:
            # Its own units go (c(2n − m)), and each of the other m − 1 gains c as it
            # becomes a little more alone: c(2n − m) − c(m − 1) = c(2n − 2m + 1) > 0.
            drop = weights[i] * (2 * n - 2 * m + 1)
            if prohibited and violations == 1:
                drop += group_max
            for j in row.customizers:
                keys.append((-drop, function_id, town_ids[j], i, j))
    return keys


def first_per_function(keys: Iterable[AskKey]) -> list[AskKey]:
    """Of sorted keys, each function's first (its best ask), in order."""
    seen: set[int] = set()
    kept: list[AskKey] = []
    for key in keys:
        if key[3] not in seen:
            seen.add(key[3])
            kept.append(key)
    return kept


def asks(
    rows: Sequence[Row],
    functions: Sequence[FunctionLike],
    weights: Sequence[int],
    town_ids: Sequence[str],
    keys: Iterable[AskKey],
    *,
    group_max: int,
    town_max: int,
    town_violations: Sequence[int],
) -> tuple[BestAsk, ...]:
    """The asks for these keys, in their order; drops in points of the scope's maxima."""
    n = len(town_ids)
    found: dict[int, tuple[Evidence, ...]] = {}
    built: list[BestAsk] = []
    for negative_drop, function_id, _town, i, j in keys:
        row = rows[i]
        function = functions[i]
        if i not in found:
            found[i] = evidence(row, town_ids)
        single = j >= 0
        m = len(row.customizers)
        units = weights[i] * (2 * n - 2 * m + 1) if single else row.unit * m
        town_drop = None
        if single:
            prohibited = function.requirement is Requirement.PROHIBITED
            band = town_max if prohibited and town_violations[j] == 1 else 0
            town_drop = risk_of(row.unit + band, town_max)
        built.append(
            BestAsk(
                function_id=function_id,
                area_id=function.area_id,
                town_id=town_ids[j] if single else None,
                towns=((town_ids[j],) if single else tuple(town_ids[k] for k in row.customizers)),
                requirement=function.requirement,
                kind=row.kind,
                group_drop_units=units,
                group_drop=risk_of(-negative_drop, group_max),
                town_drop=town_drop,
                evidence=found[i],
            )
        )
    return tuple(built)


def with_answers(
    found: Sequence[BestAsk], answers: Mapping[str, VendorAnswer]
) -> tuple[BestAsk, ...]:
    """The asks carrying the vendor's current answer on their function, those whose answer
    makes the customization unnecessary first: the vendor saying a standard function, a
    setting or a procedure meets the need is the strongest evidence an ask can have. The
    order stays as it was otherwise (by the risk each ask removes)."""
    carried = [replace(ask, answer=answers.get(ask.function_id)) for ask in found]
    return tuple(
        sorted(carried, key=lambda ask: not (ask.answer and ask.answer.avoids_customization))
    )


def explain_contribution(contribution: Contribution) -> str:
    """One sentence saying why this (town, function) adds what it adds to its score."""
    if contribution.violation:
        function = _("実装不可機能%(function)s", function=contribution.function_id)
    else:
        function = contribution.function_id
    points = format_risk(contribution.points)
    if contribution.sharing == 1:
        return _(
            "%(town)sは%(function)sをひとりだけカスタマイズするため、寄与は%(points)s点です。",
            town=contribution.town_name,
            function=function,
            points=points,
        )
    if contribution.sharing == contribution.n_towns:
        return _(
            "%(town)sは%(function)sを全%(towns)d町で共同カスタマイズするため、"
            "寄与は%(points)s点です。",
            town=contribution.town_name,
            function=function,
            towns=contribution.n_towns,
            points=points,
        )
    return _(
        "%(town)sは%(function)sを他の%(others)d町と共同でカスタマイズするため、"
        "寄与は%(points)s点です。",
        town=contribution.town_name,
        function=function,
        others=contribution.sharing - 1,
        points=points,
    )


def explain_ask(ask: BestAsk, board: TownNames) -> str:
    """One sentence: whom to ask to move to a workflow change, and how much risk it removes."""
    points = format_risk(ask.group_drop)
    if ask.town_id is not None:
        return _(
            "%(town)sに%(function)sの業務見直しを依頼すると、リスクが%(points)s点下がります。",
            town=board.town_name(ask.town_id),
            function=ask.function_id,
            points=points,
        )
    return _(
        "%(towns)sに%(function)sの業務見直しをそろって依頼すると、リスクが%(points)s点下がります。",
        towns=_("、").join(board.town_name(t) for t in ask.towns),
        function=ask.function_id,
        points=points,
    )
