"""`fitgap marks ...`: marks files and marking sheets, in and out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from flask import Flask

from fitgap.cli.support import (
    FORCE_HELP,
    DataError,
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
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries


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


@marks.command("import-xlsx")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--town", "town_id", required=True)
@click.option("--area", "area_id", required=True)
@click.option(
    "--by", "changed_by", default="import", show_default=True, help="Who, for the history."
)
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@click.pass_context
def marks_import_xlsx(
    ctx: click.Context, file: Path, town_id: str, area_id: str, changed_by: str, dry_run: bool
) -> None:
    """Import a filled-in marking sheet: shows every change, applies all or nothing."""
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
        for change in preview.changes:
            click.echo(
                _(
                    "%(id)s: %(before)s → %(after)s%(conflict)s",
                    id=change.function_id,
                    before=change.before.status.value,
                    after=change.after.status.value,
                    conflict=_("（競合: 出力後にほかの人が変更）") if change.conflict else "",
                )
            )
        if dry_run:
            session.rollback()
            return
        try:
            count = apply_preview(session=session, preview=preview, changed_by=changed_by)
        except SheetConflict as conflict:
            raise DataError(str(conflict)) from None
        audit_command(
            session,
            "marks.imported",
            town_id,
            {"files": [str(file)], "area": area_id, "by": changed_by, "changed": count},
        )
    click.echo(_("判定シートから %(count)s 件を反映しました", count=count))
