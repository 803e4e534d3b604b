"""What changed between two editions of the catalog, and what it means for the towns' marks.

A function is matched by its id across editions. Its content (heading path, name, text, note,
forms) and its class are the fields of its fingerprint: a mark made on another fingerprint must
be looked at again. The area a function sits in is not part of it (moving a function between
files changes nothing a town decided on).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from fitgap.domain.i18n import N_, _
from fitgap.domain.labels import requirement_label
from fitgap.domain.values import Function, Requirement

__all__ = [
    "CONTENT_FIELDS",
    "CatalogDiff",
    "FunctionChange",
    "diff_catalogs",
    "format_diff",
    "new_violations",
    "review_needed",
]

# The fields whose change makes a function "reworded" (the class has its own list).
CONTENT_FIELDS = ("path", "name", "text", "note", "forms")

FIELD_LABELS: dict[str, str] = {
    "path": N_("見出し"),
    "name": N_("機能名称"),
    "text": N_("機能要件"),
    "note": N_("備考"),
    "forms": N_("帳票ID"),
}


@dataclass(frozen=True, slots=True)
class FunctionChange:
    """One function present in both editions, as it was and as it is."""

    old: Function
    new: Function

    @property
    def id(self) -> str:
        """The function's id (the same in both editions)."""
        return self.new.id

    @property
    def changed_fields(self) -> tuple[str, ...]:
        """The content fields that differ, in CONTENT_FIELDS order (the class not included)."""
        return tuple(f for f in CONTENT_FIELDS if getattr(self.old, f) != getattr(self.new, f))


@dataclass(frozen=True, slots=True)
class CatalogDiff:
    """The changes from one catalog edition to the next; a function may be in several lists."""

    added: tuple[Function, ...] = ()
    removed: tuple[Function, ...] = ()
    reworded: tuple[FunctionChange, ...] = ()  # path, name, text, note or forms changed
    reclassed: tuple[FunctionChange, ...] = ()  # requirement changed
    moved: tuple[FunctionChange, ...] = ()  # area changed
    unchanged: int = 0  # same area and same fingerprint

    @property
    def is_empty(self) -> bool:
        """True when the new edition changes nothing."""
        return not (self.added or self.removed or self.reworded or self.reclassed or self.moved)

    @property
    def review_ids(self) -> frozenset[str]:
        """Functions whose fingerprint changed: marks on them are to be reviewed."""
        return frozenset(c.id for c in (*self.reworded, *self.reclassed))


def diff_catalogs(old: Iterable[Function], new: Iterable[Function]) -> CatalogDiff:
    """Compare two editions function by function (matched by id); lists keep file order."""
    before = {f.id: f for f in old}
    after = {f.id: f for f in new}
    added: list[Function] = []
    reworded: list[FunctionChange] = []
    reclassed: list[FunctionChange] = []
    moved: list[FunctionChange] = []
    unchanged = 0
    for function in after.values():
        previous = before.get(function.id)
        if previous is None:
            added.append(function)
            continue
        change = FunctionChange(previous, function)
        if change.changed_fields:
            reworded.append(change)
        if previous.requirement is not function.requirement:
            reclassed.append(change)
        if previous.area_id != function.area_id:
            moved.append(change)
        if previous.area_id == function.area_id and previous.fingerprint == function.fingerprint:
            unchanged += 1
    removed = [f for f in before.values() if f.id not in after]
    return CatalogDiff(
        added=tuple(added),
        removed=tuple(removed),
        reworded=tuple(reworded),
        reclassed=tuple(reclassed),
        moved=tuple(moved),
        unchanged=unchanged,
    )


def review_needed(mark_fingerprint: str, function: Function) -> bool:
    """True when a mark was made on another version of the function's content."""
    return mark_fingerprint != function.fingerprint


def new_violations(
    diff: CatalogDiff, customizing: Mapping[str, Collection[str]]
) -> list[tuple[str, str]]:
    """(function id, town id) for each function reclassed to prohibited that a town customizes.

    `customizing` maps a function id to the ids of the towns marking it customization.
    """
    found: list[tuple[str, str]] = []
    for change in diff.reclassed:
        if change.new.requirement is Requirement.PROHIBITED:
            found.extend((change.id, town) for town in sorted(customizing.get(change.id, ())))
    return found


def _label(requirement: Requirement) -> str:
    return requirement_label(requirement)


def format_diff(diff: CatalogDiff) -> str:
    """A readable report of the changes, one function per line under a heading per kind."""
    if diff.is_empty:
        return _("変更はありません（%(count)s 件）", count=diff.unchanged) + "\n"
    lines: list[str] = []
    if diff.added:
        lines.append(_("追加: %(count)s 件", count=len(diff.added)))
        lines.extend(f"  + {f.id} {f.name}（{_label(f.requirement)}）" for f in diff.added)
    if diff.removed:
        lines.append(_("削除: %(count)s 件", count=len(diff.removed)))
        lines.extend(f"  - {f.id} {f.name}" for f in diff.removed)
    if diff.reworded:
        lines.append(_("文言の変更: %(count)s 件", count=len(diff.reworded)))
        for change in diff.reworded:
            fields = ", ".join(_(FIELD_LABELS[f]) for f in change.changed_fields)
            detail = _("変更: %(fields)s", fields=fields)
            if "name" in change.changed_fields:
                detail += " / " + _("旧名称: %(name)s", name=change.old.name)
            lines.append(f"  ~ {change.id} {change.new.name}（{detail}）")
    if diff.reclassed:
        lines.append(_("区分の変更: %(count)s 件", count=len(diff.reclassed)))
        lines.extend(
            f"  ! {c.id} {c.new.name}: {_label(c.old.requirement)} → {_label(c.new.requirement)}"
            for c in diff.reclassed
        )
    if diff.moved:
        lines.append(_("業務の移動: %(count)s 件", count=len(diff.moved)))
        lines.extend(
            f"  > {c.id} {c.new.name}: {c.old.area_id} → {c.new.area_id}" for c in diff.moved
        )
    lines.append(_("変更なし: %(count)s 件", count=diff.unchanged))
    return "\n".join(lines) + "\n"
