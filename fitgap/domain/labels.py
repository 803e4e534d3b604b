"""Every label fitgap shows for a value: one table per kind, one function per kind.

The tables (`*_LABELS_JA`) hold the Japanese source text, marked with N_ for extraction; the
functions translate it into the current language with fitgap.domain.i18n._. A table is read
directly only where the text stays Japanese whatever the language: the marking sheet's cells
(read back as STATUS_SYNONYMS) and the reasons written into the mark history. Pure Python.
"""

from __future__ import annotations

from fitgap.domain.i18n import N_, _
from fitgap.domain.risk.divergence import DivergenceKind
from fitgap.domain.values import (
    AnswerKind,
    Membership,
    Outcome,
    Priority,
    Requirement,
    Role,
    Status,
)

__all__ = [
    "ANSWER_KIND_LABELS_JA",
    "AUDIT_ACTION_LABELS_JA",
    "DIVERGENCE_ADVICE_JA",
    "DIVERGENCE_LABELS_JA",
    "MARK_SOURCE_LABELS_JA",
    "MEMBERSHIP_LABELS_JA",
    "OUTCOME_LABELS_JA",
    "PRIORITY_LABELS_JA",
    "REQUIREMENT_LABELS_JA",
    "ROLE_LABELS_JA",
    "SHORT_STATUS_LABELS_JA",
    "STATUS_LABELS_JA",
    "answer_kind_label",
    "audit_action_label",
    "divergence_advice",
    "divergence_label",
    "mark_source_label",
    "membership_label",
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

# The vendor's answer kinds; the answer sheet's drop-down reads them back (ANSWER_KIND_SYNONYMS).
ANSWER_KIND_LABELS_JA: dict[AnswerKind, str] = {
    AnswerKind.STANDARD: N_("標準機能で対応可"),
    AnswerKind.SETTING: N_("設定で対応可"),
    AnswerKind.PROCEDURE: N_("運用で回避可"),
    AnswerKind.CUSTOMIZATION: N_("カスタマイズが必要"),
    AnswerKind.IMPOSSIBLE: N_("対応不可"),
}

OUTCOME_LABELS_JA: dict[Outcome, str] = {
    Outcome.ALL_FIT: N_("全団体が適合"),
    Outcome.ALL_WORKFLOW_CHANGE: N_("全団体で業務見直し"),
    Outcome.SHARED_CUSTOMIZATION: N_("共同カスタマイズを受け入れる"),
    Outcome.TOWN_EXCEPTION: N_("団体別の例外"),
    Outcome.POSTPONED: N_("継続協議（次回以降）"),
}

MEMBERSHIP_LABELS_JA: dict[Membership, str] = {
    Membership.CANDIDATE: N_("検討中"),
    Membership.MEMBER: N_("参加"),
    Membership.LEFT: N_("離脱"),
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
    Role.VENDOR: N_("ベンダー"),
}

# Every action the audit trail records (fitgap.store.audit.ACTIONS), as 情報政策課 staff
# read it; the code itself stays beside it on the page and unchanged in the CSV export.
AUDIT_ACTION_LABELS_JA: dict[str, str] = {
    "login": N_("ログイン"),
    "logout": N_("ログアウト"),
    "login.failed": N_("ログインの失敗"),
    "account.locked": N_("アカウントのロック（失敗の繰り返し）"),
    "password.changed": N_("パスワードの変更（本人）"),
    "account.created": N_("アカウントの作成"),
    "account.updated": N_("アカウントの変更"),
    "account.disabled": N_("アカウントの無効化"),
    "account.enabled": N_("アカウントの再有効化"),
    "account.unlocked": N_("アカウントのロック解除"),
    "account.password_reset": N_("パスワードの再発行（管理者）"),
    "mark.changed": N_("判定の変更"),
    "marks.imported": N_("判定の一括取り込み"),
    "decision.recorded": N_("会議の決定の記録"),
    "decision.superseded": N_("会議の決定の置き換え"),
    "action.done": N_("対応事項の完了"),
    "action.reopened": N_("対応事項の再開"),
    "meeting.created": N_("会議の登録"),
    "meeting.updated": N_("会議の変更"),
    "export.downloaded": N_("議事録のダウンロード"),
    "export.written": N_("ファイルの書き出し（コマンド）"),
    "catalog.loaded": N_("カタログの読み込み"),
    "audit.exported": N_("監査ログの書き出し"),
    "audit.pruned": N_("古い監査ログの削除"),
    "backup.created": N_("バックアップの作成"),
    "backup.restored": N_("バックアップからの復元"),
}


# Where a mark change came from, as the history shows it (the code stays in the CSV export).
MARK_SOURCE_LABELS_JA: dict[str, str] = {
    "web": N_("画面で入力"),
    "correction": N_("画面で訂正"),
    "import": N_("ファイルから取り込み"),
    "xlsx": N_("判定シートから取り込み"),
    "decision": N_("会議の決定"),
    "vendor": N_("ベンダー回答の受け入れ"),
    "demo": N_("サンプルデータ"),
}


def mark_source_label(source: str) -> str:
    """Where a mark change came from, in the current language (its code when unknown)."""
    label = MARK_SOURCE_LABELS_JA.get(source)
    return _(label) if label is not None else source


def audit_action_label(action: str) -> str:
    """An audit record's action in the current language (its code when fitgap has no label)."""
    label = AUDIT_ACTION_LABELS_JA.get(action)
    return _(label) if label is not None else action


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


def membership_label(membership: Membership | str) -> str:
    """Where a town stands with the group (参加, 検討中, 離脱) in the current language."""
    return _(MEMBERSHIP_LABELS_JA[Membership(membership)])


def answer_kind_label(kind: AnswerKind | str) -> str:
    """The kind of a vendor's answer in the current language (標準機能で対応可, ...)."""
    return _(ANSWER_KIND_LABELS_JA[AnswerKind(kind)])


def priority_label(priority: Priority | str | None) -> str:
    """How much a town needs a function in the current language (必須, 要望, 不要; "" if unset)."""
    if not priority:
        return ""
    return _(PRIORITY_LABELS_JA[Priority(priority)])
