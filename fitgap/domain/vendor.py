"""The vendor's answers to the towns' customization requests, as plain values.

A customization request is a function that at least one town marks カスタマイズ. The vendor
answers how the need can be met WITHOUT customizing (a standard function the staff did not
know, a parameter setting, a changed procedure), or that it needs a customization (with the
vendor's estimate and what it does to version upgrades), or that it cannot be met. Answers are
insert-only: a newer answer on the same function supersedes the older one.

A town may accept an answer that makes the customization unnecessary: its mark becomes 適合
(standard function, setting) or 業務見直し (procedure), see `accepted_status`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from fitgap.domain.i18n import N_, _
from fitgap.domain.labels import ANSWER_KIND_LABELS_JA, answer_kind_label
from fitgap.domain.limits import MAX_ANSWER_DETAIL_LENGTH, MAX_NOTE_LENGTH, MAX_YEN
from fitgap.domain.values import AnswerKind, Cost, Status

__all__ = [
    "ANSWER_KIND_SYNONYMS",
    "DETAIL_PROMPTS_JA",
    "AnswerKind",
    "CustomizationRequest",
    "RequestingTown",
    "VendorAnswer",
    "acceptance_reason",
    "accepted_status",
    "answer_problems",
    "detail_prompt",
    "one_line",
    "parse_kind",
    "vendor_estimates",
]

# Values accepted for a kind in files and sheet cells: the code and the Japanese label.
ANSWER_KIND_SYNONYMS: dict[str, AnswerKind] = {
    **{kind.value: kind for kind in AnswerKind},
    **{label: kind for kind, label in ANSWER_KIND_LABELS_JA.items()},
}

# What the one detail field of an answer says, by kind.
DETAIL_PROMPTS_JA: dict[AnswerKind, str] = {
    AnswerKind.STANDARD: N_("どの画面・機能で対応するか"),
    AnswerKind.SETTING: N_("どのパラメータをどう設定するか"),
    AnswerKind.PROCEDURE: N_("提案する運用（手順）"),
    AnswerKind.CUSTOMIZATION: N_("バージョンアップへの影響"),
    AnswerKind.IMPOSSIBLE: N_("対応できない理由"),
}

# An answer that makes the customization unnecessary, and the mark a town takes on accepting it.
_ACCEPTED: dict[AnswerKind, Status] = {
    AnswerKind.STANDARD: Status.FIT,
    AnswerKind.SETTING: Status.FIT,
    AnswerKind.PROCEDURE: Status.WORKFLOW_CHANGE,
}


@dataclass(frozen=True, slots=True)
class VendorAnswer:
    """The vendor's answer on one function; `id` 0 until stored."""

    function_id: str
    kind: AnswerKind
    detail: str
    answered_on: date
    text: str | None = None  # Markdown, raw HTML off
    cost: Cost | None = None  # the vendor's estimate; customization only
    answered_by: str = ""
    id: int = 0

    @property
    def avoids_customization(self) -> bool:
        """True when the answer meets the need without customizing (a town may accept it)."""
        return self.kind in _ACCEPTED


@dataclass(frozen=True, slots=True)
class RequestingTown:
    """A town that marks a function カスタマイズ, with its reason and its own cost guess."""

    town_id: str
    town_name: str
    note: str | None
    cost: Cost | None


@dataclass(frozen=True, slots=True)
class CustomizationRequest:
    """One open request: a function some towns want customized, and the vendor's latest answer."""

    function_id: str
    area_id: str
    function_name: str
    path: tuple[str, ...]
    towns: tuple[RequestingTown, ...]
    answer: VendorAnswer | None


def accepted_status(kind: AnswerKind) -> Status | None:
    """The mark a town takes when it accepts an answer of this kind (None: not acceptable)."""
    return _ACCEPTED.get(kind)


def detail_prompt(kind: AnswerKind | str) -> str:
    """What the detail of an answer of this kind says, in the current language."""
    return _(DETAIL_PROMPTS_JA[AnswerKind(kind)])


def parse_kind(value: object) -> AnswerKind | None:
    """An answer kind from a form value or a sheet cell (code or Japanese label), or None."""
    if value is None:
        return None
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    return ANSWER_KIND_SYNONYMS.get(text) or ANSWER_KIND_SYNONYMS.get(text.lower())


def answer_problems(
    kind: AnswerKind, detail: str | None, text: str | None, cost: Cost | None
) -> list[str]:
    """What is wrong with an answer, each as one message in the current language (empty: fine).

    Every kind needs its detail (how, which parameter, which procedure, the effect on version
    upgrades, why not); a customization needs the vendor's initial and annual estimate, and
    only a customization may carry one.
    """
    problems: list[str] = []
    if not detail or not detail.strip():
        problems.append(_("「%(what)s」を記入してください", what=detail_prompt(kind)))
    elif len(detail) > MAX_ANSWER_DETAIL_LENGTH:
        problems.append(
            _(
                "「%(what)s」が長すぎます（%(length)s 文字）。%(limit)s 文字以内にしてください",
                what=detail_prompt(kind),
                length=f"{len(detail):,}",
                limit=f"{MAX_ANSWER_DETAIL_LENGTH:,}",
            )
        )
    if text is not None and len(text) > MAX_NOTE_LENGTH:
        problems.append(
            _(
                "補足が長すぎます（%(length)s 文字）。%(limit)s 文字以内にしてください",
                length=f"{len(text):,}",
                limit=f"{MAX_NOTE_LENGTH:,}",
            )
        )
    if kind is AnswerKind.CUSTOMIZATION:
        if cost is None:
            problems.append(
                _("カスタマイズが必要な場合は、初期費用と年間費用の見積り（円）を記入してください")
            )
    elif cost is not None:
        problems.append(
            _(
                "見積りはカスタマイズが必要な場合にだけ書けます（回答: %(kind)s）",
                kind=answer_kind_label(kind),
            )
        )
    if cost is not None and not (
        0 <= cost.initial_yen <= MAX_YEN and 0 <= cost.annual_yen <= MAX_YEN
    ):
        problems.append(_("見積りは 0 円以上 %(limit)s 円以下にしてください", limit=f"{MAX_YEN:,}"))
    return problems


def vendor_estimates(answers: Mapping[str, VendorAnswer]) -> dict[str, Cost]:
    """Function id -> the vendor's estimate, for every current answer that says the function
    needs a customization and prices it (the cost lens uses it instead of the towns' guesses)."""
    return {
        function_id: answer.cost
        for function_id, answer in answers.items()
        if answer.kind is AnswerKind.CUSTOMIZATION and answer.cost is not None
    }


def one_line(answer: VendorAnswer) -> str:
    """The answer in one line, for the matrix, the minutes and the meeting's item:
    「設定で対応可 — 帳票設定画面の様式切替で対応」."""
    detail = " ".join(answer.detail.split())
    parts = [answer_kind_label(answer.kind)]
    if answer.cost is not None:
        parts.append(
            _(
                "見積り 初期 %(initial)s円 / 年 %(annual)s円",
                initial=f"{answer.cost.initial_yen:,}",
                annual=f"{answer.cost.annual_yen:,}",
            )
        )
    if detail:
        parts.append(detail)
    return " — ".join(parts)


def acceptance_reason(answer: VendorAnswer) -> str:
    """The reason the mark history keeps when a town accepts an answer: in Japanese whatever
    the language (like every reason in the history), naming the answer by number and date."""
    detail = " ".join(answer.detail.split())
    return (
        f"ベンダー回答 No.{answer.id}（{answer.answered_on.isoformat()}）を受け入れ: "
        f"{ANSWER_KIND_LABELS_JA[answer.kind]} — {detail}"
    )
