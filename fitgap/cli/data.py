"""`fitgap check`, `fitgap load`, `fitgap score`: the catalog and town files, and the risk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fitgap.cli.support import (
    DataError,
    audit_command,
    echo_json,
    fail,
    progress,
    require_loaded,
)
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.domain.files.catalog import (
    Catalog,
    InvalidInput,
    read_catalog,
    read_towns,
)
from fitgap.domain.files.group import read_group_folder
from fitgap.domain.i18n import _
from fitgap.domain.values import Town

if TYPE_CHECKING:
    from flask import Flask

    from fitgap.store import catalog as catalog_queries

# The database's modules are imported by the commands that use them: `fitgap check` reads
# files only, and starts without SQLAlchemy.


def read_inputs(app: Flask) -> tuple[Catalog, tuple[Town, ...]]:
    """Read catalog and towns, collecting the problems of both before failing."""
    problems: list[Any] = []
    catalog: Catalog | None = None
    towns: tuple[Town, ...] = ()
    base = Path.cwd()
    try:
        catalog = read_catalog(Path(app.config["CATALOG_DIR"]), base=base)
    except InvalidInput as error:
        problems.extend(error.problems)
    try:
        towns = read_towns(Path(app.config["TOWNS_DIR"]), base=base)
    except InvalidInput as error:
        problems.extend(error.problems)
    try:
        read_group_folder(Path(app.config["TOWNS_DIR"]), base=base)
    except InvalidInput as error:
        problems.extend(error.problems)
    if problems or catalog is None:
        raise fail(InvalidInput(problems))
    return catalog, towns


@click.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the catalog and town files; touches no database."""
    catalog, towns = read_inputs(_app(ctx, views=False, database=False))
    functions = sum(len(area.functions) for area in catalog.areas)
    click.echo(
        _(
            "問題ありません: %(areas)s 業務、%(functions)s 機能、%(towns)s 町",
            areas=len(catalog.areas),
            functions=functions,
            towns=len(towns),
        )
    )


def load_files(app: Flask) -> catalog_queries.LoadReport:
    from fitgap.domain.files.catalog_diff import diff_catalogs, format_diff, new_violations
    from fitgap.store import catalog as catalog_queries
    from fitgap.store import group as group_queries
    from fitgap.store import marks as mark_queries

    catalog, towns = read_inputs(app)
    database = _database(app)
    database.upgrade()
    total = sum(len(area.functions) for area in catalog.areas)
    with database.write() as session:
        old = mark_queries.current_functions(session=session)
        if old:  # a new edition of a loaded catalog: say what changed before loading it
            diff = diff_catalogs(old, catalog.functions)
            if not diff.is_empty:
                click.echo(format_diff(diff))
            customizing = mark_queries.customizing_towns(session=session)
            for function_id, town_id in new_violations(diff, customizing):
                click.echo(
                    _(
                        "違反: %(town)s は %(id)s をカスタマイズしていますが、"
                        "新しい版では実装不可機能です",
                        town=town_id,
                        id=function_id,
                    )
                )
        with progress(total, _("カタログを読み込み中")) as advance:
            report = catalog_queries.load_catalog(
                session=session, catalog=catalog, towns=towns, progress=advance
            )
        group_queries.save_terms(
            session=session, terms=read_group_folder(Path(app.config["TOWNS_DIR"]))
        )
        audit_command(
            session,
            "catalog.loaded",
            str(app.config["CATALOG_DIR"]),
            {
                "areas": dict(report.areas),
                "functions": dict(report.functions),
                "towns": dict(report.towns),
                "changed_functions": len(report.changed_functions),
            },
        )
    database.refresh_statistics()
    return report


@click.command()
@click.pass_context
def load(ctx: click.Context) -> None:
    """Load or refresh catalog and towns into the database, all or nothing; marks stay."""
    report = load_files(_app(ctx, views=False))
    print_load_report(report)


def print_load_report(report: catalog_queries.LoadReport) -> None:
    for label, counts in (
        (_("業務"), report.areas),
        (_("機能"), report.functions),
        (_("町"), report.towns),
    ):
        click.echo(
            _(
                "%(what)s: 追加 %(added)s、更新 %(updated)s、復帰 %(restored)s、"
                "保管 %(archived)s、変更なし %(unchanged)s",
                what=label,
                added=counts.get("added", 0),
                updated=counts.get("updated", 0),
                restored=counts.get("restored", 0),
                archived=counts.get("archived", 0),
                unchanged=counts.get("unchanged", 0),
            )
        )
    if report.changed_functions:
        click.echo(
            _(
                "内容が変わった機能 %(count)s 件: これらの機能の判定は「要確認」になります",
                count=len(report.changed_functions),
            )
        )


@click.command()
@click.option("--area", "area_id", help="Only this business area.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="A readable report, or the JSON object of the contract.",
)
@click.pass_context
def score(ctx: click.Context, area_id: str | None, output: str) -> None:
    """Divergence and Galapagos risk of the group, each town, each area and each function."""
    from fitgap.domain.risk.report import to_contract_json, to_text
    from fitgap.services.scoring import scoreboard
    from fitgap.store import catalog as catalog_queries

    database = _database(_app(ctx, views=False))
    require_loaded(database)
    with database.session() as session:
        if area_id is not None and area_id not in {
            a.id for a in catalog_queries.list_areas(session=session)
        }:
            raise DataError(_("業務 %(area)s はカタログにありません。", area=area_id))
        board = scoreboard(session=session)
    if output == "json":
        echo_json(to_contract_json(board, area_id))
    else:
        click.echo(to_text(board, area_id))
