"""The audit page for 情報政策課 staff: each record's action, target and details as readable
Japanese lines (view models). The raw code and JSON stay in the CSV export and, small, on the
page for IT staff."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from fitgap.domain.i18n import N_, _
from fitgap.domain.labels import (
    audit_action_label,
    outcome_label,
    role_label,
    status_label,
)
from fitgap.domain.values import Outcome, Role, Status
from fitgap.domain.wareki import wareki
from fitgap.store import catalog as catalog_queries
from fitgap.store.models import AuditRecord

__all__ = ["AuditRow", "Names", "action_choices", "audit_rows", "record_lines", "target_text"]


@dataclass(frozen=True, slots=True)
class Names:
    """Display names of the towns, areas and functions a page of records mentions."""

    towns: Mapping[str, str]
    areas: Mapping[str, str]
    functions: Mapping[str, str]

    def town(self, town_id: object) -> str:
        """A town's name, or its id when fitgap no longer knows it."""
        text = str(town_id)
        return self.towns.get(text, text)

    def area(self, area_id: object) -> str:
        """An area's name, or its id."""
        text = str(area_id)
        return self.areas.get(text, text)

    def function(self, function_id: object) -> str:
        """A function as its id and name (「0010010 日本人住民データの管理」)."""
        text = str(function_id)
        name = self.functions.get(text)
        return f"{text} {name}" if name else text


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One record as the page shows it."""

    sequence: int
    at: datetime
    actor: str
    address: str | None
    action: str  # the code, shown small for IT staff
    action_label: str
    target: str  # readable
    lines: tuple[str, ...]  # the details, one readable sentence each


def action_choices(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, label) of these actions, for the filter."""
    return [(code, audit_action_label(code)) for code in codes]


def _status(value: object) -> str:
    try:
        return status_label(Status(str(value))) if value else status_label(None)
    except ValueError:
        return str(value)


def _role(value: object) -> str:
    try:
        return role_label(Role(str(value)))
    except ValueError:
        return str(value)


def _outcome(value: object) -> str:
    try:
        return outcome_label(Outcome(str(value)))
    except ValueError:
        return str(value)


def _day(value: object) -> str:
    try:
        return wareki(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def _yes_no(value: object) -> str:
    return _("はい") if value else _("いいえ")


def _list(values: object, show: Callable[[object], str]) -> str:
    if isinstance(values, list | tuple):
        return _("、").join(show(v) for v in values) if values else _("なし")
    return show(values)


def target_text(target: str | None, names: Names) -> str:
    """What a record is about, in words: アカウント tanaka, 会議 #3, 石井町 / 0010010 …"""
    if not target:
        return ""
    kind, colon, rest = target.partition(":")
    if colon:
        known = {
            "account": _("アカウント %(id)s", id=rest),
            "meeting": _("会議 #%(id)s", id=rest),
            "decision": _("決定 #%(id)s", id=rest),
            "action": _("対応事項 #%(id)s", id=rest),
        }
        if kind in known:
            return known[kind]
        if kind == "minutes" and rest == "all":
            return _("すべての会議の議事録")
    town, slash, function = target.partition("/")
    if slash and town in names.towns:
        return f"{names.town(town)} / {names.function(function)}"
    if target in names.towns:
        return names.town(target)
    if "," in target and all(part in names.towns for part in target.split(",")):
        return _("、").join(names.town(part) for part in target.split(","))
    return target


def _mark_lines(details: Mapping[str, Any], names: Names) -> list[str]:
    lines = [
        _(
            "判定：%(before)s → %(after)s",
            before=_status(details.get("before")),
            after=_status(details.get("after")),
        )
    ]
    if details.get("note_changed"):
        lines.append(_("備考を変更しました。"))
    if details.get("cost_changed"):
        lines.append(_("費用の見積りを変更しました。"))
    if details.get("correction"):
        lines.append(_("進行役による訂正。理由：%(reason)s", reason=details.get("reason") or ""))
    return lines


def _decision_lines(details: Mapping[str, Any], names: Names) -> list[str]:
    lines = [
        _("会議 #%(id)s", id=details.get("meeting")),
        _("機能：%(function)s", function=names.function(details.get("function"))),
        _("決定：%(outcome)s", outcome=_outcome(details.get("outcome"))),
    ]
    marks = details.get("marks")
    if isinstance(marks, dict):
        for town_id, change in marks.items():
            if not isinstance(change, dict):
                continue
            before, after = change.get("before"), change.get("after")
            if before == after:
                lines.append(
                    _(
                        "%(town)s：%(status)s（変更なし）",
                        town=names.town(town_id),
                        status=_status(after),
                    )
                )
            else:
                lines.append(
                    _(
                        "%(town)s：%(before)s → %(after)s",
                        town=names.town(town_id),
                        before=_status(before),
                        after=_status(after),
                    )
                )
    if details.get("supersedes") is not None:
        lines.append(_("決定 #%(id)s を置き換えました。", id=details["supersedes"]))
    return lines


def _import_lines(details: Mapping[str, Any], names: Names) -> list[str]:
    lines = [_("ファイル：%(files)s", files=_list(details.get("files", []), str))]
    if "area" in details:
        lines.append(_("業務：%(area)s", area=names.area(details["area"])))
    if "added" in details:
        lines.append(
            _(
                "追加 %(added)s 件、変更 %(changed)s 件、変更なし %(unchanged)s 件",
                added=details.get("added", 0),
                changed=details.get("changed", 0),
                unchanged=details.get("unchanged", 0),
            )
        )
    elif "changed" in details:
        lines.append(_("反映した判定 %(n)s 件", n=details["changed"]))
    return lines


_ACCOUNT_FIELDS = {
    "display_name": N_("表示名"),
    "role": N_("役割"),
    "town_id": N_("町"),
    "town": N_("町"),
    "all_areas": N_("すべての業務"),
    "areas": N_("担当業務"),
}


def _account_value(key: str, value: object, names: Names) -> str:
    if key == "role":
        return _role(value)
    if key in ("town", "town_id"):
        return names.town(value) if value else _("なし")
    if key == "all_areas":
        return _yes_no(value)
    if key == "areas":
        return _list(value, names.area)
    return str(value) if value not in (None, "") else _("なし")


def _account_lines(details: Mapping[str, Any], names: Names) -> list[str]:
    lines: list[str] = []
    for key, value in details.items():
        if key == "demo":
            lines.append(_("デモ用のアカウント"))
            continue
        label = _(_ACCOUNT_FIELDS[key]) if key in _ACCOUNT_FIELDS else key
        # account.updated keeps [before, after]; account.created the value (areas: a list).
        changed = isinstance(value, list) and len(value) == 2
        if changed and key == "areas":
            changed = isinstance(value[0], list)
        if changed:
            before, after = (_account_value(key, v, names) for v in value)
            lines.append(
                _("%(label)s：%(before)s → %(after)s", label=label, before=before, after=after)
            )
        else:
            lines.append(
                _("%(label)s：%(value)s", label=label, value=_account_value(key, value, names))
            )
    return lines


_LOGIN_REFUSALS = {
    "unknown": N_("登録されていないログインID"),
    "disabled": N_("無効にされたアカウント"),
    "locked": N_("ロック中のアカウント"),
    "password": N_("パスワードの誤り"),
    "changed": N_("ログインの途中でアカウントが変更された"),
}


def _login_failed_lines(details: Mapping[str, Any], names: Names) -> list[str]:
    reason = str(details.get("reason", ""))
    shown = _(_LOGIN_REFUSALS[reason]) if reason in _LOGIN_REFUSALS else reason
    return [_("理由：%(reason)s", reason=shown)]


def _catalog_lines(details: Mapping[str, Any], names: Names) -> list[str]:
    lines: list[str] = []
    kinds = (("areas", _("業務")), ("functions", _("機能")), ("towns", _("町")))
    counted = (
        ("added", _("追加")),
        ("updated", _("更新")),
        ("restored", _("復活")),
        ("archived", _("廃止")),
        ("unchanged", _("変更なし")),
    )
    for key, label in kinds:
        counts = details.get(key)
        if isinstance(counts, dict):
            parts = [
                _("%(word)s %(n)s 件", word=word, n=counts[k])
                for k, word in counted
                if counts.get(k)
            ]
            lines.append(
                _(
                    "%(label)s：%(value)s",
                    label=label,
                    value=_("、").join(parts) if parts else _("変更なし"),
                )
            )
    if details.get("changed_functions"):
        lines.append(_("内容の変わった機能 %(n)s 件", n=details["changed_functions"]))
    return lines


def _generic_lines(details: Mapping[str, Any], names: Names) -> list[str]:
    # An action fitgap has no sentence for (or a key it does not know): show it plainly.
    return [
        _("%(label)s：%(value)s", label=key, value=_list(value, str))
        for key, value in details.items()
    ]


def record_lines(action: str, details: Mapping[str, Any], names: Names) -> list[str]:
    if action == "mark.changed":
        return _mark_lines(details, names)
    if action in ("decision.recorded", "decision.superseded"):
        return _decision_lines(details, names)
    if action == "marks.imported":
        lines = _import_lines(details, names)
        if details.get("by"):
            lines.append(_("記録者：%(by)s", by=details["by"]))
        return lines
    if action in ("account.created", "account.updated"):
        return _account_lines(details, names)
    if action == "login.failed":
        return _login_failed_lines(details, names)
    if action == "account.locked":
        return [_("%(minutes)s 分間ログインできません。", minutes=details.get("minutes"))]
    if action in ("action.done", "action.reopened"):
        lines = [
            _("対応事項：%(what)s", what=details.get("what", "")),
            _(
                "担当：%(town)s",
                town=names.town(details["town"]) if details.get("town") else _("全体"),
            ),
        ]
        if details.get("function"):
            lines.append(_("機能：%(function)s", function=names.function(details["function"])))
        if details.get("note"):
            lines.append(_("メモ：%(note)s", note=details["note"]))
        return lines
    if action == "meeting.created":
        return [
            _("業務：%(area)s", area=names.area(details.get("area"))),
            _("開催日：%(day)s", day=_day(details.get("held_on"))),
        ]
    if action == "meeting.updated":
        return [_("開催日：%(day)s", day=_day(details.get("held_on")))]
    if action == "export.downloaded":
        return [
            _("形式：%(format)s", format=str(details.get("format", "")).upper()),
            _("決定 %(n)s 件", n=details.get("decisions", 0)),
        ]
    if action == "export.written":
        return [_("ファイル：%(files)s", files=_list(details.get("files", []), str))]
    if action == "catalog.loaded":
        return _catalog_lines(details, names)
    if action == "audit.exported":
        shown = {k: v for k, v in dict(details.get("filters", details)).items() if v}
        if not shown:
            return [_("条件：なし（すべての記録）")]
        labels = {
            "actor": _("操作者"),
            "action": _("操作"),
            "since": _("開始日"),
            "until": _("終了日"),
        }
        return [
            _(
                "条件：%(filters)s",
                filters=_("、").join(
                    f"{labels.get(k, k)}＝{audit_action_label(str(v)) if k == 'action' else v}"
                    for k, v in shown.items()
                ),
            )
        ]
    if action == "audit.pruned":
        return [
            _(
                "%(day)sより前の %(count)s 件を削除しました（記録 %(through)s まで）。",
                day=_day(details.get("before")),
                count=details.get("count"),
                through=details.get("through"),
            )
        ]
    if action == "backup.created":
        size = details.get("bytes")
        if isinstance(size, int):
            return [_("大きさ：%(mb)s MB", mb=f"{size / 1_000_000:,.1f}")]
        return _generic_lines(details, names)
    if action == "backup.restored":
        return [
            _("データベースの版：%(revision)s", revision=details.get("revision")),
            _("元のデータベースの保存先：%(kept)s", kept=details.get("kept")),
        ]
    return _generic_lines(details, names)


def _mentioned_functions(records: Iterable[AuditRecord]) -> set[str]:
    found: set[str] = set()
    for record in records:
        details = record.details if isinstance(record.details, dict) else {}
        if isinstance(details.get("function"), str):
            found.add(details["function"])
        if record.target and "/" in record.target:
            found.add(record.target.partition("/")[2])
    return found


def audit_rows(*, session: Session, records: Sequence[AuditRecord]) -> list[AuditRow]:
    """The page's records as rows of readable Japanese."""
    names = Names(
        towns={t.id: t.name for t in catalog_queries.list_towns(session=session)},
        areas={a.id: a.name for a in catalog_queries.list_areas(session=session)},
        functions=catalog_queries.function_names(
            session=session, function_ids=_mentioned_functions(records)
        ),
    )
    rows: list[AuditRow] = []
    for record in records:
        details = record.details if isinstance(record.details, dict) else {}
        rows.append(
            AuditRow(
                sequence=record.sequence,
                at=record.at,
                actor=record.actor,
                address=record.address,
                action=record.action,
                action_label=audit_action_label(record.action),
                target=target_text(record.target, names),
                lines=tuple(record_lines(record.action, details, names)),
            )
        )
    return rows
