"""Every label fitgap shows for a value: one table per kind, one function per kind.

The tables (`*_LABELS_JA`) hold the Japanese source text, marked with N_ for extraction; the
functions translate it into the current language with fitgap.domain.i18n._. A table is read
directly only where the text stays Japanese whatever the language: the marking sheet's cells
(read back as STATUS_SYNONYMS) and the reasons written into the mark history. Pure Python.
"""

from __future__ import annotations

from fitgap.domain.i18n import N_, _
from fitgap.domain.risk.divergence import DivergenceKind
from fitgap.domain.values import Outcome, Priority, Requirement, Role, Status

__all__ = [
    "DIVERGENCE_ADVICE_JA",
    "DIVERGENCE_LABELS_JA",
    "OUTCOME_LABELS_JA",
    "PRIORITY_LABELS_JA",
    "REQUIREMENT_LABELS_JA",
    "ROLE_LABELS_JA",
    "SHORT_STATUS_LABELS_JA",
    "STATUS_LABELS_JA",
    "divergence_advice",
    "divergence_label",
    "outcome_label",
    "priority_label",
    "requirement_label",
    "role_label",
    "short_status_label",
    "status_label",
]

STATUS_LABELS_JA: dict[Status, str] = {
    Status.FIT: N_("適合"),
    Status.WORKFLOW_CHANGE: N_("業務見直し"),
    Status.CUSTOMIZATION: N_("カスタマイズ"),
    Status.NOT_APPLICABLE: N_("対象外"),
    Status.UNDECIDED: N_("未判定"),
}

# One character, inside the full label: the grid's status buttons.
SHORT_STATUS_LABELS_JA: dict[Status, str] = {
    Status.FIT: N_("適"),
    Status.WORKFLOW_CHANGE: N_("見"),
    Status.CUSTOMIZATION: N_("カ"),
    Status.NOT_APPLICABLE: N_("外"),
    Status.UNDECIDED: N_("未"),
}

REQUIREMENT_LABELS_JA: dict[Requirement, str] = {
    Requirement.MANDATORY: N_("実装必須機能"),
    Requirement.OPTIONAL: N_("標準オプション機能"),
    Requirement.PROHIBITED: N_("実装不可機能"),
}

DIVERGENCE_LABELS_JA: dict[DivergenceKind, str] = {
    DivergenceKind.NONE: N_("相違なし"),
    DivergenceKind.LONE_CUSTOMIZATION: N_("単独カスタマイズ"),
    DivergenceKind.SPLIT_CUSTOMIZATION_WORKFLOW: N_("カスタマイズする団体としない団体に分かれる"),
    DivergenceKind.SHARED_CUSTOMIZATION: N_("共同カスタマイズ"),
    DivergenceKind.MIXED_FIT_WORKFLOW: N_("適合と業務見直しに分かれる"),
    DivergenceKind.MIXED_APPLICABILITY: N_("対象外とする団体がある"),
    DivergenceKind.VIOLATION: N_("実装不可機能のカスタマイズ（違反）"),
}

DIVERGENCE_ADVICE_JA: dict[DivergenceKind, str] = {
    DivergenceKind.NONE: N_("協議は不要です。"),
    DivergenceKind.LONE_CUSTOMIZATION: N_(
        "他の団体の運用を紹介し、業務見直しで対応できないか確認してください。"
    ),
    DivergenceKind.SPLIT_CUSTOMIZATION_WORKFLOW: N_(
        "カスタマイズを希望する団体に、適合・業務見直しとした団体の運用を紹介してください。"
    ),
    DivergenceKind.SHARED_CUSTOMIZATION: N_(
        "全団体での業務見直しを検討し、難しければ共同カスタマイズとして理由を記録してください。"
    ),
    DivergenceKind.MIXED_FIT_WORKFLOW: N_(
        "業務見直しの内容を共有し、運用をそろえられないか確認してください。"
    ),
    DivergenceKind.MIXED_APPLICABILITY: N_(
        "この機能を使う団体と使わない団体があることを確認し、記録してください。"
    ),
    DivergenceKind.VIOLATION: N_(
        "実装不可機能はカスタマイズできません。業務見直しか疎結合の別システムを検討してください。"
    ),
}

OUTCOME_LABELS_JA: dict[Outcome, str] = {
    Outcome.ALL_FIT: N_("全団体が適合"),
    Outcome.ALL_WORKFLOW_CHANGE: N_("全団体で業務見直し"),
    Outcome.SHARED_CUSTOMIZATION: N_("共同カスタマイズを受け入れる"),
    Outcome.TOWN_EXCEPTION: N_("団体別の例外"),
    Outcome.POSTPONED: N_("継続協議（次回以降）"),
}

PRIORITY_LABELS_JA: dict[Priority, str] = {
    Priority.REQUIRED: N_("必須"),
    Priority.WANTED: N_("要望"),
    Priority.NOT_NEEDED: N_("不要"),
}

ROLE_LABELS_JA: dict[Role, str] = {
    Role.STAFF: N_("職員"),
    Role.MODERATOR: N_("進行役"),
    Role.OBSERVER: N_("閲覧者"),
    Role.ADMIN: N_("管理者"),
}


def status_label(status: Status | str | None) -> str:
    """A verdict in the current language (適合, 業務見直し, ...; 未判定 when there is none)."""
    return _(STATUS_LABELS_JA[Status(status or Status.UNDECIDED)])


def short_status_label(status: Status | str | None) -> str:
    """A verdict in one character of the current language (適, 見, ...)."""
    return _(SHORT_STATUS_LABELS_JA[Status(status or Status.UNDECIDED)])


def requirement_label(requirement: Requirement | str) -> str:
    """A function class in the current language (実装必須機能, ...)."""
    return _(REQUIREMENT_LABELS_JA[Requirement(requirement)])


def divergence_label(kind: DivergenceKind) -> str:
    """The divergence kind's short label in the current language."""
    return _(DIVERGENCE_LABELS_JA[kind])


def divergence_advice(kind: DivergenceKind) -> str:
    """One sentence telling the consultant what to do about this kind of divergence."""
    return _(DIVERGENCE_ADVICE_JA[kind])


def outcome_label(outcome: Outcome | str) -> str:
    """A meeting's decision on one function in the current language."""
    return _(OUTCOME_LABELS_JA[Outcome(outcome)])


def role_label(role: Role | str) -> str:
    """An account's role in the current language."""
    return _(ROLE_LABELS_JA[Role(role)])


def priority_label(priority: Priority | str | None) -> str:
    """How much a town needs a function in the current language (必須, 要望, 不要; "" if unset)."""
    if not priority:
        return ""
    return _(PRIORITY_LABELS_JA[Priority(priority)])
