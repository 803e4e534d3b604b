"""`fitgap export ...`: the decision log (議事録)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fitgap.cli.support import (
    FORCE_HELP,
    DataError,
    audit_written,
    check_output_files,
    check_output_folder,
    require_loaded,
    write_atomically,
    write_bytes_atomically,
)
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.domain.i18n import _


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
    """Export the decision log (議事録) of the joint meetings."""


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
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def export_decisions(
    ctx: click.Context, output: str, out_dir: Path | None, meeting_id: int | None, force: bool
) -> None:
    """Write the decision log: decisions-<area>-<date> per meeting, and decisions-all."""
    from fitgap.store import meetings as meeting_queries

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
            record = meeting_queries.gather_minutes(session=session, meeting_id=meeting.id)
            write_minutes(path, record, output)
            click.echo(str(path))
            written.append(str(path))
        if meeting_id is None:
            write_minutes(everything, meeting_queries.gather_minutes(session=session), output)
            written.append(str(everything))
            click.echo(str(everything))
    audit_written(database, "decisions", written)
