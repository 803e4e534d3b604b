"""`fitgap marks ...`: marks files and marking sheets, in and out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from fitgap.cli.support import (
    FORCE_HELP,
    DataError,
    UsageError,
    audit_command,
    audit_written,
    check_output_files,
    check_output_folder,
    fail,
    progress,
    require_loaded,
    require_town_and_area,
    write_atomically,
    write_bytes_atomically,
)
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.domain.files.catalog import (
    InvalidInput,
    dump_marks,
    read_marks,
)
from fitgap.domain.i18n import _
from fitgap.services.marks import customizations_without_reason
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries

if TYPE_CHECKING:  # the sheet modules load openpyxl: only the sheet commands import them
    from fitgap.domain.files.marking_sheet import Resolution
    from fitgap.services.sheets import SheetPreview


@click.group()
def marks() -> None:
    """Import and export towns' marks files."""


def import_marks(app: Flask, files: Sequence[Path], changed_by: str) -> mark_queries.ImportReport:
    database = _database(app)
    require_loaded(database)
    with database.session() as session:
        towns = catalog_queries.active_town_ids(session=session)
        functions = catalog_queries.active_function_ids(session=session)
    try:
        marks_files = read_marks(files, town_ids=towns, function_ids=functions, base=Path.cwd())
    except InvalidInput as error:
        raise fail(error) from None
    total = sum(len(f.marks) for f in marks_files)
    with progress(total, _("判定を取り込み中")) as advance, database.write() as session:
        unreasoned = customizations_without_reason(session=session, files=marks_files)
        if unreasoned:
            raise fail(InvalidInput(unreasoned))
        report = mark_queries.import_marks(
            session=session, files=marks_files, changed_by=changed_by, progress=advance
        )
        audit_command(
            session,
            "marks.imported",
            ",".join(sorted({f.town_id for f in marks_files})),
            {
                "files": [str(path) for path in files],
                "by": changed_by,
                "added": report.added,
                "changed": report.changed,
                "unchanged": report.unchanged,
            },
        )
    if report.added or report.changed:
        database.refresh_statistics()
    return report


@marks.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--by", "changed_by", default="import", show_default=True, help="Who, for the history."
)
@click.pass_context
def marks_import(ctx: click.Context, files: tuple[Path, ...], changed_by: str) -> None:
    """Import marks files, all or nothing."""
    report = import_marks(_app(ctx), files, changed_by)
    click.echo(
        _(
            "判定を取り込みました: 追加 %(added)s、変更 %(changed)s、変更なし %(unchanged)s",
            added=report.added,
            changed=report.changed,
            unchanged=report.unchanged,
        )
    )


@marks.command("export")
@click.option("--town", "town_id", help="Only this town (default: every town).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder to write into.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def marks_export(
    ctx: click.Context, town_id: str | None, out_dir: Path | None, force: bool
) -> None:
    """Write marks files, one per town (default: into the exports folder)."""
    app = _app(ctx)
    database = _database(app)
    require_loaded(database)
    target = out_dir or Path(app.config["EXPORTS_DIR"])
    with database.session() as session:
        towns = sorted(catalog_queries.active_town_ids(session=session))
        if town_id is not None:
            if town_id not in towns:
                raise DataError(_("町ID %(id)s は登録されていません", id=town_id))
            towns = [town_id]
        check_output_folder(target)
        check_output_files((target / f"{town}.yaml" for town in towns), force=force)
        written = []
        for town in towns:
            path = target / f"{town}.yaml"
            write_atomically(
                path, dump_marks(town, mark_queries.export_marks(session=session, town_id=town))
            )
            written.append(str(path))
            click.echo(str(path))
    audit_written(database, "marks", written)


@marks.command("sheet")
@click.option("--town", "town_id", required=True)
@click.option("--area", "area_id", required=True)
@click.option("--out", type=click.Path(path_type=Path), help="File to write.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def marks_sheet(
    ctx: click.Context, town_id: str, area_id: str, out: Path | None, force: bool
) -> None:
    """Write a town's marking sheet of one area (XLSX) to fill in offline."""
    from fitgap.services.sheets import sheet_bytes

    app = _app(ctx)
    database = _database(app)
    require_loaded(database)
    target = out or Path(app.config["EXPORTS_DIR"]) / f"marks-{town_id}-{area_id}.xlsx"
    with database.session() as session:
        require_town_and_area(session, town_id, area_id)
        check_output_files([target], force=force)
        data = sheet_bytes(session=session, town_id=town_id, area_id=area_id)
    write_bytes_atomically(target, data)
    audit_written(database, "marks-sheet", [str(target)])
    click.echo(str(target))


def _function_ids(value: str | None) -> set[str] | None:
    """`ID,ID` as a set, `all` as None (every conflict); an absent option is the empty set."""
    if value is None:
        return set()
    if value.strip().lower() == "all":
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _resolutions(
    preview: SheetPreview, take_sheet: str | None, keep_theirs: str | None
) -> dict[str, Resolution]:
    """The answers the options give to the preview's conflicts (checked against them)."""
    from fitgap.domain.files.marking_sheet import Resolution

    sheet_ids, theirs_ids = _function_ids(take_sheet), _function_ids(keep_theirs)
    if sheet_ids is None and theirs_ids is None:
        raise UsageError(_("--take-sheet all と --keep-theirs all は同時に使えません"))
    if sheet_ids and theirs_ids and sheet_ids & theirs_ids:
        both = ", ".join(sorted(sheet_ids & theirs_ids))
        raise UsageError(_("--take-sheet と --keep-theirs に同じ機能があります: %(ids)s", ids=both))
    conflicts = {c.function_id: c for c in preview.conflicts}
    named = (sheet_ids or set()) | (theirs_ids or set())
    strangers = sorted(named - set(conflicts))
    if strangers:
        raise DataError(
            _(
                "次の機能は、この判定シートで競合していません: %(ids)s",
                ids=", ".join(strangers),
            )
        )
    resolutions: dict[str, Resolution] = {}
    for function_id, change in conflicts.items():
        if sheet_ids is None or function_id in sheet_ids:
            take = function_id not in (theirs_ids or set())
        elif theirs_ids is None or function_id in theirs_ids:
            take = False
        else:
            continue
        # One transaction reads and applies: the version seen is the current one.
        resolutions[function_id] = Resolution(change.before.version, take)
    return resolutions


def _one_line(text: str) -> str:
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def _echo_changes(preview: SheetPreview, resolutions: dict[str, Resolution]) -> None:
    from fitgap.domain.files.marking_sheet import field_changes

    for change in preview.changes:
        header = preview.label(change.function_id)
        if change.conflict:
            answer = resolutions.get(change.function_id)
            choice = (
                _("未選択")
                if answer is None
                else _("シートの値で上書き")
                if answer.take_sheet
                else _("いまの値を残す")
            )
            header += _("（競合: 出力後にほかの人が変更 → %(choice)s）", choice=choice)
        click.echo(header)
        for field in field_changes(change):
            click.echo(f"  {field.label}: {_one_line(field.before)} → {_one_line(field.after)}")


@marks.command("import-xlsx")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--town", "town_id", required=True)
@click.option("--area", "area_id", required=True)
@click.option(
    "--by", "changed_by", default="import", show_default=True, help="Who, for the history."
)
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@click.option(
    "--take-sheet",
    metavar="ID,ID|all",
    help="For these conflicts (rows changed by someone else since the download), save the "
    "sheet's verdict over the current one.",
)
@click.option(
    "--keep-theirs",
    metavar="ID,ID|all",
    help="For these conflicts, keep the current verdict and leave the sheet's row out.",
)
@click.pass_context
def marks_import_xlsx(
    ctx: click.Context,
    file: Path,
    town_id: str,
    area_id: str,
    changed_by: str,
    dry_run: bool,
    take_sheet: str | None,
    keep_theirs: str | None,
) -> None:
    """Import a filled-in marking sheet: shows every change, applies all or nothing.

    A row someone else changed since the download is a conflict: without --take-sheet or
    --keep-theirs naming it (or `all`), nothing is applied and the conflicts are listed."""
    from fitgap.services.sheets import SheetConflict, apply_preview, preview_sheet

    database = _database(_app(ctx))
    require_loaded(database)
    with database.write() as session:
        require_town_and_area(session, town_id, area_id)
        try:
            preview = preview_sheet(
                session=session, source=file, town_id=town_id, area_id=area_id, display=str(file)
            )
        except InvalidInput as error:
            raise fail(error) from None
        resolutions = _resolutions(preview, take_sheet, keep_theirs)
        _echo_changes(preview, resolutions)
        if dry_run:
            session.rollback()
            return
        try:
            applied = apply_preview(
                session=session, preview=preview, changed_by=changed_by, resolutions=resolutions
            )
        except SheetConflict as conflict:
            listed = "\n".join(f"  {preview.label(c.function_id)}" for c in conflict.refused)
            raise DataError(
                _(
                    "判定シートの出力後に、ほかの人が変更した機能があります。何も反映して"
                    "いません:\n%(functions)s\n機能ごとに --take-sheet ID,ID（シートの値で"
                    "上書き）か --keep-theirs ID,ID（いまの値を残す）で選んでください"
                    "（すべてなら all）",
                    functions=listed,
                )
            ) from None
        audit_command(
            session,
            "marks.imported",
            town_id,
            {
                "files": [str(file)],
                "area": area_id,
                "by": changed_by,
                "changed": applied.saved,
                "kept": applied.kept,
            },
        )
    click.echo(_("判定シートから %(count)s 件を反映しました", count=applied.saved))
    if applied.kept:
        click.echo(
            _("ほかの人が変更した %(count)s 件は、いまの判定のまま残しました", count=applied.kept)
        )
