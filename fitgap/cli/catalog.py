"""`fitgap catalog ...`: official Excel function lists and catalog editions."""

from __future__ import annotations

from pathlib import Path

import click

from fitgap.cli.support import (
    FORCE_HELP,
    check_output_files,
    fail,
    write_atomically,
)
from fitgap.cli.support import app_of as _app
from fitgap.domain.files.catalog import (
    InvalidInput,
    read_catalog,
)
from fitgap.domain.i18n import _


@click.group()
def catalog() -> None:
    """Catalog editions: import the official Excel function list, compare two editions."""


def _column_options(values: tuple[str, ...]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for value in values:
        key, separator, column = value.partition("=")
        if not separator or not key.strip() or not column.strip():
            raise click.BadParameter(_("KEY=列 の形で指定してください: %(value)s", value=value))
        columns[key.strip()] = column.strip()
    return columns


@catalog.command("import-xlsx")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--area", "area_id", required=True, help="Area id of the new catalog file.")
@click.option("--name", "area_name", help="Area name (default: the file name).")
@click.option("--sheet", help="Sheet to read (default: the first with a recognised header).")
@click.option("--header-row", type=int, help="Row number of the header (default: detected).")
@click.option("--column", "columns", multiple=True, metavar="KEY=COL", help="Column mapping.")
@click.option("--spec-title", help="Title of the specification.")
@click.option("--spec-version", help="Edition, e.g. 第4.0版.")
@click.option("--out", type=click.Path(path_type=Path), help="YAML file to write.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def catalog_import_xlsx(
    ctx: click.Context,
    file: Path,
    area_id: str,
    area_name: str | None,
    sheet: str | None,
    header_row: int | None,
    columns: tuple[str, ...],
    spec_title: str | None,
    spec_version: str | None,
    out: Path | None,
    force: bool,
) -> None:
    """Turn an official function list (機能・帳票要件, .xlsx) into a catalog YAML file."""
    from fitgap.domain.files.xlsx_catalog import read_function_list, to_catalog_yaml

    target = out or Path(_app(ctx).config["CATALOG_DIR"]) / f"{area_id}.yaml"
    check_output_files([target], force=force)
    try:
        imported = read_function_list(
            file,
            area_id=area_id,
            area_name=area_name,
            sheet=sheet,
            columns=_column_options(columns) or None,
            header_row=header_row,
        )
    except InvalidInput as error:
        raise fail(error) from None
    for warning in imported.warnings:
        click.echo(str(warning), err=True)
    text = to_catalog_yaml(imported.area, spec_title=spec_title, spec_version=spec_version)
    write_atomically(target, text)
    click.echo(
        _(
            "%(path)s に %(count)s 件の機能を書き出しました"
            "（シート %(sheet)s、見出し %(row)s 行目）",
            path=target,
            count=len(imported.area.functions),
            sheet=imported.sheet,
            row=imported.header_row,
        )
    )


@catalog.command("diff")
@click.argument("old", type=click.Path(path_type=Path, exists=True))
@click.argument("new", type=click.Path(path_type=Path, exists=True))
def catalog_diff(old: Path, new: Path) -> None:
    """Compare two catalog editions (folders or single files): added, removed, reworded, ..."""
    from fitgap.domain.files.catalog_diff import diff_catalogs, format_diff

    editions = []
    for path in (old, new):
        try:
            editions.append(read_catalog(path, base=Path.cwd()))
        except InvalidInput as error:
            raise fail(error) from None
    click.echo(format_diff(diff_catalogs(editions[0].functions, editions[1].functions)))
