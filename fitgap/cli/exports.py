"""`fitgap export ...`: the decision log (議事録) and the fit-gap matrix (Fit&Gap表)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fitgap.cli.support import (
    FORCE_HELP,
    DataError,
    atomic_path,
    audit_written,
    check_output_files,
    check_output_folder,
    progress,
    require_loaded,
    write_atomically,
    write_bytes_atomically,
)
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.domain.files.matrix import area_csv
from fitgap.domain.group.table import ScenarioTable
from fitgap.domain.i18n import _

SCENARIO_HELP = (
    "Add the table of a saved scenario of the group (参加団体の検討; its number or name): "
    "each town's merit over the horizon, per resident, and its risk in the scenario."
)


def scenario_of(session: Any, wanted: str | None) -> ScenarioTable | None:
    """The table of the saved scenario asked for, or None; DataError names one not saved."""
    if wanted is None:
        return None
    from fitgap.services import group as group_service

    try:
        return group_service.scenario_table(session=session, wanted=wanted)
    except (group_service.UnknownScenario, group_service.NoGroupFile) as error:
        raise DataError(str(error)) from None
    except group_service.ScenarioError as error:
        raise DataError("\n".join(error.problems)) from None


def write_minutes(path: Path, record: Any, output: str) -> None:
    from fitgap.domain.meetings import minutes as log

    if output == "md":
        write_atomically(path, log.to_markdown(record))
    elif output == "csv":
        write_bytes_atomically(path, log.to_csv(record))
    else:
        write_bytes_atomically(path, log.to_xlsx(record))


@click.group()
def export() -> None:
    """Export the decision log (議事録) and the fit-gap matrix (Fit&Gap表)."""


@export.command("decisions")
@click.option(
    "--format",
    "output",
    type=click.Choice(["md", "csv", "xlsx"]),
    default="md",
    show_default=True,
    help="Markdown, CSV (UTF-8 with BOM, for Excel) or an Excel workbook.",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder to write into.")
@click.option("--meeting", "meeting_id", type=int, help="Only this meeting (default: every one).")
@click.option("--scenario", "scenario_name", metavar="NAME_OR_ID", help=SCENARIO_HELP)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def export_decisions(
    ctx: click.Context,
    output: str,
    out_dir: Path | None,
    meeting_id: int | None,
    scenario_name: str | None,
    force: bool,
) -> None:
    """Write the decision log: decisions-<area>-<date> per meeting, and decisions-all; with
    --scenario, each file ends with the scenario's table (a section, rows or a sheet)."""
    from dataclasses import replace

    from fitgap.store import meetings as meeting_queries
    from fitgap.store import minutes as minutes_queries

    app = _app(ctx)
    database = _database(app)
    require_loaded(database)
    target = out_dir or Path(app.config["EXPORTS_DIR"])
    with database.session() as session:
        meetings = sorted(
            meeting_queries.list_meetings(session=session), key=lambda m: (m.held_on, m.id or 0)
        )
        if meeting_id is not None:
            meetings = [m for m in meetings if m.id == meeting_id]
            if not meetings:
                raise DataError(_("会議 %(id)s はありません", id=meeting_id))
        scenario = scenario_of(session, scenario_name)
        taken: set[str] = set()
        paths: list[Path] = []
        for meeting in meetings:
            name = meeting_queries.export_basename(meeting)
            # Two meetings of one area on one day: the later one gets its id appended.
            if name in taken:
                name = f"{name}-{meeting.id}"
            taken.add(name)
            paths.append(target / f"{name}.{output}")
        everything = target / f"decisions-all.{output}"
        check_output_folder(target)
        check_output_files([*paths, *([everything] if meeting_id is None else [])], force=force)
        written: list[str] = []
        for meeting, path in zip(meetings, paths, strict=True):
            record = minutes_queries.gather_minutes(session=session, meeting_id=meeting.id)
            write_minutes(path, replace(record, scenario=scenario), output)
            click.echo(str(path))
            written.append(str(path))
        if meeting_id is None:
            record = minutes_queries.gather_minutes(session=session)
            write_minutes(everything, replace(record, scenario=scenario), output)
            written.append(str(everything))
            click.echo(str(everything))
    audit_written(database, "decisions", written)


def matrix_targets(
    output: str, out: Path | None, exports: Path, area_ids: list[str], one_area: str | None
) -> tuple[str, list[Path]]:
    """How the matrix is written ("xlsx", "zip" or "csv") and the files it writes."""
    if output == "xlsx":
        name = f"matrix-{one_area}.xlsx" if one_area else "matrix.xlsx"
        if out is not None and not out.is_dir():
            return "xlsx", [out]
        return "xlsx", [(out or exports) / name]
    if out is not None and out.suffix.lower() == ".zip":
        return "zip", [out]
    if out is not None and out.suffix.lower() == ".csv":
        if len(area_ids) != 1:
            raise DataError(
                _(
                    "CSV は業務ごとに 1 ファイルです。%(count)s 業務を書き出すときは、"
                    "--out にフォルダか .zip のファイルを指定してください（--area で 1 業務に"
                    "絞ることもできます）",
                    count=len(area_ids),
                )
            )
        return "csv", [out]
    folder = out or exports
    return "csv", [folder / f"matrix-{area_id}.csv" for area_id in area_ids]


@export.command("matrix")
@click.option(
    "--format",
    "output",
    type=click.Choice(["xlsx", "csv"]),
    default="xlsx",
    show_default=True,
    help="An Excel workbook (a summary and one sheet per area) or CSV (one file per area).",
)
@click.option("--area", "area_id", help="Only this business area (default: every area).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="The file to write (xlsx; csv of one area; .zip for several CSV files) or a folder.",
)
@click.option(
    "--scenario", "scenario_name", metavar="NAME_OR_ID", help=SCENARIO_HELP + " XLSX only."
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def export_matrix(
    ctx: click.Context,
    output: str,
    area_id: str | None,
    out: Path | None,
    scenario_name: str | None,
    force: bool,
) -> None:
    """Write the fit-gap matrix (Fit&Gap表): one row per function, every town's verdict,
    priority, reason, today's practice and cost, the divergence, the risk, the latest decision
    and the vendor's answer; with --scenario, a sheet with the scenario's table."""
    from fitgap.services import matrix as matrix_service

    if scenario_name is not None and output != "xlsx":
        raise click.UsageError(_("--scenario は --format xlsx のときだけ使えます"))
    app = _app(ctx)
    database = _database(app)
    require_loaded(database)
    with database.session() as session:
        try:
            areas = matrix_service.areas_to_write(session=session, area_id=area_id)
        except matrix_service.UnknownArea:
            raise DataError(_("業務 %(area)s はカタログにありません。", area=area_id)) from None
        kind, paths = matrix_targets(
            output, out, Path(app.config["EXPORTS_DIR"]), [a.id for a in areas], area_id
        )
        scenario = scenario_of(session, scenario_name)
        check_output_files(paths, force=force)
        total = sum(area.functions for area in areas)
        with progress(total, _("Fit&Gap表を書き出しています")) as advance:
            if kind == "xlsx":
                with atomic_path(paths[0]) as temporary:
                    matrix_service.write_xlsx(
                        session=session,
                        target=temporary,
                        areas=areas,
                        progress=advance,
                        scenario=scenario,
                    )
            elif kind == "zip":
                with atomic_path(paths[0]) as temporary:
                    matrix_service.write_csv_zip(
                        session=session, target=temporary, areas=areas, progress=advance
                    )
            else:
                for area, path in zip(
                    matrix_service.iter_areas(session=session, areas=areas, progress=advance),
                    paths,
                    strict=True,
                ):
                    write_bytes_atomically(path, area_csv(area))
    for path in paths:
        click.echo(str(path))
    audit_written(database, "matrix", [str(path) for path in paths])
