"""The vendor's answer form, read and checked: every problem comes back as a message to show
beside the form (400), nothing is saved."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from fitgap.domain.i18n import _
from fitgap.domain.limits import MAX_INTEGER_DIGITS
from fitgap.domain.values import Cost
from fitgap.domain.vendor import VendorAnswer, answer_problems, parse_kind
from fitgap.store.db import MAX_INTEGER


@dataclass(frozen=True, slots=True)
class AnswerDraft:
    """What the vendor typed (kept when the form is refused)."""

    kind: str = ""
    detail: str = ""
    text: str = ""
    initial: str = ""
    annual: str = ""
    answered_on: str = ""
    expected: str = "0"


def draft_from_form(form: Mapping[str, str]) -> AnswerDraft:
    """The form's fields as typed."""
    return AnswerDraft(
        kind=form.get("kind", ""),
        detail=form.get("detail", ""),
        text=form.get("text", ""),
        initial=form.get("initial_yen", ""),
        annual=form.get("annual_yen", ""),
        answered_on=form.get("answered_on", ""),
        expected=form.get("expected", "0"),
    )


def _yen(text: str, label: str, problems: list[str]) -> int | None:
    text = unicodedata.normalize("NFKC", text).replace(",", "").replace("円", "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > MAX_INTEGER_DIGITS:
        problems.append(_("%(label)s は 0 以上の整数（円）で記入してください", label=label))
        return None
    return int(text)


def answer_from_form(
    draft: AnswerDraft, function_id: str, today: date
) -> tuple[VendorAnswer | None, int, list[str]]:
    """(the answer, the answer id the vendor saw, problems) of a posted form."""
    problems: list[str] = []
    kind = parse_kind(draft.kind)
    try:
        expected = int(draft.expected or "0")
    except ValueError:
        expected = -1
    if not 0 <= expected <= MAX_INTEGER:
        problems.append(_("フォームが壊れています。ページを開き直してください"))
    if kind is None:
        problems.append(_("回答の種類を選んでください"))
    initial = _yen(draft.initial, _("初期費用見積り（円）"), problems)
    annual = _yen(draft.annual, _("年間費用見積り（円）"), problems)
    answered_on = today
    if draft.answered_on.strip():
        try:
            answered_on = date.fromisoformat(draft.answered_on.strip())
        except ValueError:
            problems.append(_("回答日は 2025-04-01 の形で記入してください"))
    if kind is None:
        return None, expected, problems
    cost = None
    if initial is not None or annual is not None:
        cost = Cost.of(initial, annual)
        if None in (initial, annual):
            problems.append(_("初期費用と年間費用の両方を記入してください"))
    detail = draft.detail.replace("\r\n", "\n").strip()
    text = draft.text.replace("\r\n", "\n").strip() or None
    problems += answer_problems(kind, detail, text, cost)
    if problems:
        return None, expected, problems
    return VendorAnswer(function_id, kind, detail, answered_on, text, cost), expected, []
