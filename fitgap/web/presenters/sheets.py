"""What the marking sheet's pages show: each change field by field with the function's name,
the conflicts to answer, and a plain message for a file that is not this page's sheet."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from fitgap.domain.files.marking_sheet import FieldChange, Resolution, WrongFile, field_changes
from fitgap.domain.i18n import _
from fitgap.services.sheets import SheetPreview
from fitgap.store import catalog as catalog_queries
from fitgap.store.models import Area, Town

__all__ = ["ChangeRow", "WrongFileMessage", "change_rows", "wrong_file_message"]


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One function the upload changes, as the preview's table shows it."""

    function_id: str
    name: str
    fields: list[FieldChange]
    conflict: bool  # someone else changed the mark since the download
    seen_version: int  # the current mark's version the page shows (sent back with the choice)
    choice: str | None  # "theirs" | "sheet": the answer given before, still valid
    moved: bool  # the mark changed again after an earlier answer
    status_before: str  # the statuses' values, for their badges
    status_after: str
    changed_by: str | None = None  # who saved the current mark of a conflict, and when (UTC)
    changed_at: datetime | None = None


def change_rows(
    preview: SheetPreview,
    *,
    answered: Mapping[str, Resolution] | None = None,
    moved: Collection[str] = (),
) -> list[ChangeRow]:
    """The preview's changes in sheet order. An earlier answer stays chosen while the mark is
    still the version it was given on."""
    rows = []
    for change in preview.changes:
        answer = (answered or {}).get(change.function_id)
        choice = None
        if change.conflict and answer is not None and answer.seen_version == change.before.version:
            choice = "sheet" if answer.take_sheet else "theirs"
        last = preview.last_changes.get(change.function_id) if change.conflict else None
        rows.append(
            ChangeRow(
                function_id=change.function_id,
                name=preview.names.get(change.function_id, ""),
                fields=field_changes(change),
                conflict=change.conflict,
                seen_version=change.before.version,
                choice=choice,
                moved=change.function_id in moved,
                status_before=change.before.status.value,
                status_after=change.after.status.value,
                changed_by=last.by if last else None,
                changed_at=last.at if last else None,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class WrongFileMessage:
    """What is wrong with the file and what to do, in words for town staff."""

    what: str
    todo: str


def wrong_file_message(
    session: Session, error: WrongFile, *, town: Town, area: Area
) -> WrongFileMessage:
    """The plain message for a file that is not this town's sheet of this area (the precise
    problems go to the log)."""
    if error.kind == WrongFile.OTHER:
        parts = []
        if error.town is not None:
            towns = {t.id: t.name for t in catalog_queries.list_all_towns(session=session)}
            parts.append(
                _(
                    "このファイルは %(other)s の判定シートです。ここでは %(town)s の判定シート"
                    "だけを取り込めます。",
                    other=towns.get(error.town, _("別の町")),
                    town=town.name,
                )
            )
        if error.area is not None:
            areas = {a.id: a.name for a in catalog_queries.list_areas(session=session)}
            parts.append(
                _(
                    "このファイルは業務「%(other)s」の判定シートです。ここでは業務「%(area)s」の"
                    "判定シートだけを取り込めます。",
                    other=areas.get(error.area, _("別の業務")),
                    area=area.name,
                )
            )
        what = "".join(parts)
    elif error.kind == WrongFile.UNREADABLE:
        what = _("このファイルは Excel の判定シート（.xlsx）として読めませんでした。")
    elif error.kind == WrongFile.DAMAGED:
        what = _(
            "このファイルは判定シートですが、fitgap が使う隠しシートやシート名が変わっていて"
            "読み込めません。"
        )
    else:
        what = _("このファイルは fitgap からダウンロードした判定シートではありません。")
    todo = _(
        "このページの「判定シートをダウンロードする」から %(town)s・%(area)s の判定シートを"
        "ダウンロードし、黄色の列に記入して保存してから、そのファイルを選んでください。",
        town=town.name,
        area=area.name,
    )
    return WrongFileMessage(what, todo)
