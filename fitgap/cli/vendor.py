"""`fitgap vendor ...`: the vendor's answer sheet, out and back in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from fitgap.cli.support import (
    FORCE_HELP,
    DataError,
    audit_written,
    check_output_files,
    cli_actor,
    fail,
    require_loaded,
    write_bytes_atomically,
)
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.domain.files.yamlfile import InvalidInput
from fitgap.domain.i18n import _
from fitgap.domain.labels import ANSWER_KIND_LABELS_JA
from fitgap.store import catalog as catalog_queries


@click.group()
def vendor() -> None:
    """The customization requests and the vendor's answers (answer sheet)."""


@vendor.command("requests")
@click.option("--area", "area_id", help="Only this business area.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def vendor_requests(ctx: click.Context, area_id: str | None, out: Path, force: bool) -> None:
    """Write the open customization requests as the vendor's answer sheet (XLSX)."""
    from fitgap.services.vendor import requests_sheet

    database = _database(_app(ctx))
    require_loaded(database)
    with database.session() as session:
        if (
            area_id is not None
            and catalog_queries.get_area(session=session, area_id=area_id) is None
        ):
            raise DataError(_("業務 %(area)s はカタログにありません。", area=area_id))
        check_output_files([out], force=force)
        data = requests_sheet(session=session, area_id=area_id)
    write_bytes_atomically(out, data)
    audit_written(database, "vendor-requests", [str(out)])
    click.echo(str(out))


@vendor.command("import-xlsx")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--by", "answered_by", default="vendor", show_default=True, help="Who answered, for the log."
)
@click.option("--dry-run", is_flag=True, help="Only show what would be stored.")
@click.pass_context
def vendor_import_xlsx(ctx: click.Context, file: Path, answered_by: str, dry_run: bool) -> None:
    """Import a filled-in answer sheet: shows every answer, stores all or nothing."""
    from fitgap.services.vendor import (
        AnswerConflict,
        apply_answer_preview,
        preview_answer_sheet,
    )

    database = _database(_app(ctx))
    require_loaded(database)
    with database.write() as session:
        try:
            preview = preview_answer_sheet(
                session=session, source=file, display=str(file), today=date.today()
            )
        except InvalidInput as error:
            raise fail(error) from None
        for change in preview.changes:
            click.echo(
                _(
                    "%(id)s: %(before)s → %(after)s%(conflict)s",
                    id=change.function_id,
                    before=ANSWER_KIND_LABELS_JA[change.before.kind] if change.before else "-",
                    after=ANSWER_KIND_LABELS_JA[change.after.kind],
                    conflict=_("（競合: 出力後に別の回答が登録済み）") if change.conflict else "",
                )
            )
        if dry_run:
            session.rollback()
            return
        try:
            count = apply_answer_preview(
                session=session,
                preview=preview,
                answered_by=answered_by,
                filename=str(file),
                actor=cli_actor(),
            )
        except AnswerConflict:
            ids = ", ".join(c.function_id for c in preview.conflicts)
            raise DataError(
                _("回答シートの出力後に、別の回答が登録された機能があります: %(ids)s", ids=ids)
            ) from None
    click.echo(_("回答シートから %(count)s 件の回答を登録しました", count=count))
