"""The `fitgap` command. Exit status: 0 success, 1 the input or data is wrong, 2 usage."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask

from fitgap import create_app
from fitgap.cli import admin as cli_admin
from fitgap.cli import group as cli_group
from fitgap.cli.support import (
    FORCE_HELP,
    DataError,
    check_output_files,
    check_output_folder,
    write_atomically,
    write_bytes_atomically,
)
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.domain.files.catalog import (
    Catalog,
    InvalidInput,
    dump_marks,
    read_catalog,
    read_marks,
    read_towns,
)
from fitgap.domain.files.group import read_group_folder
from fitgap.domain.i18n import _, language_from_environment, set_language
from fitgap.domain.risk.report import to_contract_json, to_text
from fitgap.domain.values import Town
from fitgap.services.scoring import scoreboard
from fitgap.store import audit as audit_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store import group as group_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database

DEMO_MARKS_DIR = Path("demo") / "marks"


def _fail(problems: InvalidInput) -> DataError:
    count = len(problems.problems)
    return DataError(f"{problems}\n" + _("%(count)s 件の問題があります", count=count))


def _audit(session: Any, action: str, target: str | None, details: dict[str, Any]) -> None:
    """Record a change made on the command line, in its transaction."""
    audit_queries.append(
        session=session, actor=cli_admin.cli_actor(), action=action, target=target, details=details
    )


def _audit_written(database: Database, kind: str, paths: list[str]) -> None:
    """Record files an export command wrote."""
    if paths:
        with database.write() as session:
            _audit(session, "export.written", kind, {"files": paths})


@contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (only drawn on a terminal)."""
    with click.progressbar(length=max(length, 1), label=label, file=sys.stderr) as bar:
        yield bar.update


class _Commands(click.Group):
    """The command group; a database that cannot be written or reached is a clear message and
    exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import DBAPIError

        from fitgap.store.db import describe_database_error, is_database_unavailable

        try:
            return super().invoke(ctx)
        except DBAPIError as error:
            if not is_database_unavailable(error):
                raise
            app = (ctx.obj or {}).get("app")
            url = app.config.get("DATABASE_URL") if app is not None else None
            raise DataError(describe_database_error(error, url)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fitgap")
@click.pass_context
def main(ctx: click.Context) -> None:
    """fitgap: 共同利用パッケージのフィット&ギャップ分析 (joint fit & gap analysis)."""
    set_language(language_from_environment())
    ctx.ensure_object(dict)


def _read_inputs(app: Flask) -> tuple[Catalog, tuple[Town, ...]]:
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
        raise _fail(InvalidInput(problems))
    return catalog, towns


@main.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the catalog and town files; touches no database."""
    catalog, towns = _read_inputs(_app(ctx))
    functions = sum(len(area.functions) for area in catalog.areas)
    click.echo(
        _(
            "問題ありません: %(areas)s 業務、%(functions)s 機能、%(towns)s 町",
            areas=len(catalog.areas),
            functions=functions,
            towns=len(towns),
        )
    )


def _load(app: Flask) -> catalog_queries.LoadReport:
    from fitgap.domain.files.catalog_diff import diff_catalogs, format_diff, new_violations

    catalog, towns = _read_inputs(app)
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
        with _progress(total, _("カタログを読み込み中")) as progress:
            report = catalog_queries.load_catalog(
                session=session, catalog=catalog, towns=towns, progress=progress
            )
        group_queries.save_terms(
            session=session, terms=read_group_folder(Path(app.config["TOWNS_DIR"]))
        )
        _audit(
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


@main.command()
@click.pass_context
def load(ctx: click.Context) -> None:
    """Load or refresh catalog and towns into the database, all or nothing; marks stay."""
    report = _load(_app(ctx))
    _print_load_report(report)


def _print_load_report(report: catalog_queries.LoadReport) -> None:
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


@main.group()
def marks() -> None:
    """Import and export towns' marks files."""


def _require_loaded(database: Database) -> None:
    if not database.is_current():
        raise DataError(_("データベースが準備されていません。先に fitgap load を実行してください"))


def _import_marks(app: Flask, files: Sequence[Path], changed_by: str) -> mark_queries.ImportReport:
    database = _database(app)
    _require_loaded(database)
    with database.session() as session:
        towns = catalog_queries.active_town_ids(session=session)
        functions = catalog_queries.active_function_ids(session=session)
    try:
        marks_files = read_marks(files, town_ids=towns, function_ids=functions, base=Path.cwd())
    except InvalidInput as error:
        raise _fail(error) from None
    total = sum(len(f.marks) for f in marks_files)
    with _progress(total, _("判定を取り込み中")) as progress, database.write() as session:
        report = mark_queries.import_marks(
            session=session, files=marks_files, changed_by=changed_by, progress=progress
        )
        _audit(
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
    report = _import_marks(_app(ctx), files, changed_by)
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
    _require_loaded(database)
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
    _audit_written(database, "marks", written)


@main.command()
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
    database = _database(_app(ctx))
    _require_loaded(database)
    with database.session() as session:
        if area_id is not None and area_id not in {
            a.id for a in catalog_queries.list_areas(session=session)
        }:
            raise DataError(_("業務 %(area)s はカタログにありません。", area=area_id))
        board = scoreboard(session=session)
    if output == "json":
        click.echo(json.dumps(to_contract_json(board, area_id), ensure_ascii=False, indent=1))
    else:
        click.echo(to_text(board, area_id))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.option(
    "--connection-limit",
    default=1000,
    show_default=True,
    type=int,
    help="Open browser connections at once (every signed-in PC keeps one or two).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, connection_limit: int) -> None:
    """Serve the web app with the waitress production WSGI server."""
    app = _app(ctx)
    _serve(app, host, port, threads, connection_limit)


def _serve(app: Flask, host: str, port: int, threads: int, connection_limit: int = 1000) -> None:
    from waitress import serve as waitress_serve

    # Never a debug page or a traceback in production, whatever FLASK_DEBUG says.
    app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _require_loaded(_database(app))
    click.echo(
        _("http://%(host)s:%(port)s/ で待ち受けています（Ctrl+C で終了）", host=host, port=port)
    )
    # waitress accepts only 100 connections by default: a meeting of 30 towns' staff with
    # keep-alive browsers passes that, and the rest would wait until they time out.
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=connection_limit,
        ident="fitgap",
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only prepare the demo database.")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, no_serve: bool) -> None:
    """Load the sample data into a fresh demo database (instance/demo.sqlite3) and serve it."""
    settings = _app(ctx).config
    url = settings.get("DEMO_DATABASE_URL")
    if not url:
        # The demo never touches the real database: it has a file of its own, made anew.
        demo_db = Path(_app(ctx).instance_path) / "demo.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{demo_db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{demo_db}"
    factory: Callable[..., Flask] = ctx.obj.get("factory", create_app)
    app = factory(
        {
            "DATABASE_URL": url,
            "CATALOG_DIR": settings["CATALOG_DIR"],
            "TOWNS_DIR": settings["TOWNS_DIR"],
            "PASSWORD_HASH_METHOD": settings["PASSWORD_HASH_METHOD"],
            "DEMO": True,
        }
    )
    _print_load_report(_load(app))
    files = sorted(Path(settings.get("DEMO_MARKS_DIR", DEMO_MARKS_DIR)).glob("*.yaml"))
    if files:
        report = _import_marks(app, files, "demo")
        click.echo(_("デモの判定 %(count)s 件を取り込みました", count=report.added))
    meetings_file = Path(settings.get("DEMO_MEETINGS_FILE", DEMO_MEETINGS_FILE))
    if meetings_file.is_file():
        count = load_demo_meetings(app, meetings_file)
        click.echo(_("デモの会議 %(count)s 件を作成しました", count=count))
    cli_group.create_demo_scenarios(_database(app))
    accounts = cli_admin.create_demo_accounts(app)
    app.config["DEMO_ACCOUNTS"] = accounts
    click.echo(_("デモのアカウント（デモ専用。ログイン画面にも表示されます）:"))
    for account in accounts:
        click.echo(f"  {account.login:<16} {account.password}  {account.role:<10} {account.name}")
    if not no_serve:
        _serve(app, host, port, threads=8)


# --- the decision log (議事録) -----------------------------------------------------------------

DEMO_MEETINGS_FILE = Path("demo") / "meetings.yaml"


def _write_minutes(path: Path, record: Any, output: str) -> None:
    from fitgap.domain.meetings import minutes as log

    if output == "md":
        write_atomically(path, log.to_markdown(record))
    elif output == "csv":
        write_bytes_atomically(path, log.to_csv(record))
    else:
        write_bytes_atomically(path, log.to_xlsx(record))


@main.group()
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
    _require_loaded(database)
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
            _write_minutes(path, record, output)
            click.echo(str(path))
            written.append(str(path))
        if meeting_id is None:
            _write_minutes(everything, meeting_queries.gather_minutes(session=session), output)
            written.append(str(everything))
            click.echo(str(everything))
    _audit_written(database, "decisions", written)


def load_demo_meetings(app: Flask, path: Path) -> int:
    """Create the sample meetings of demo/meetings.yaml with their decisions; returns how many."""
    import datetime as dt

    import yaml

    from fitgap.domain.meetings import minutes as log
    from fitgap.domain.values import STATUS_SYNONYMS, Outcome
    from fitgap.services import meetings
    from fitgap.store import meetings as meeting_queries

    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    database = _database(app)
    count = 0
    for entry in document.get("meetings", []):
        data = meeting_queries.MeetingInput(
            area_id=entry["area"],
            held_on=dt.date.fromisoformat(str(entry["held_on"])),
            moderator=entry["moderator"],
            title=entry.get("title", ""),
            place=entry.get("place", ""),
            attendees=tuple(
                meeting_queries.AttendeeInput(
                    name=a["name"], role=a.get("role", ""), town_id=a.get("town")
                )
                for a in entry.get("attendees", [])
            ),
        )
        with database.write() as session:
            meeting = meetings.create_meeting(session=session, data=data)
            assert meeting.id is not None  # noqa: S101 - just created
            items = {
                i.function_id: i.id or 0
                for i in meeting_queries.agenda(session=session, meeting_id=meeting.id)
            }
            for decision in entry.get("decisions", []):
                item_id = items[str(decision["function"])]
                meeting_queries.set_current(session=session, meeting_id=meeting.id, item_id=item_id)
                towns = decision.get("towns", {})
                draft = log.DecisionDraft(
                    outcome=Outcome(decision["outcome"]),
                    summary=decision.get("summary", ""),
                    justification=decision.get("justification"),
                    alternative=decision.get("alternative"),
                    verdicts=tuple(
                        log.TownVerdict(
                            town_id,
                            STATUS_SYNONYMS[str(towns.get(town_id, {}).get("status", "undecided"))],
                            towns.get(town_id, {}).get("note"),
                        )
                        for town_id in sorted(
                            t.id for t in catalog_queries.list_towns(session=session)
                        )
                    ),
                    actions=tuple(
                        log.ActionDraft(
                            what=a["what"],
                            town_id=a.get("town"),
                            due_on=dt.date.fromisoformat(str(a["due"])) if a.get("due") else None,
                        )
                        for a in decision.get("actions", [])
                    ),
                )
                current = meeting_queries.current_decision(
                    session=session, function_id=str(decision["function"])
                )
                meetings.record_decision(
                    session=session,
                    actor=cli_admin.cli_actor(),
                    meeting_id=meeting.id,
                    item_id=item_id,
                    draft=draft,
                    supersedes_id=current.id if current else None,
                    decided_at=dt.datetime.fromisoformat(str(decision["decided_at"]))
                    if decision.get("decided_at")
                    else None,
                )
            if entry.get("current"):
                meeting_queries.set_current(
                    session=session, meeting_id=meeting.id, item_id=items[str(entry["current"])]
                )
        count += 1
    return count


# --- catalog editions and the Excel round trip ----------------------------------------------


@main.group()
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
        raise _fail(error) from None
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
            raise _fail(error) from None
    click.echo(format_diff(diff_catalogs(editions[0].functions, editions[1].functions)))


def _town_and_area(session: Any, town_id: str, area_id: str) -> None:
    if town_id not in catalog_queries.active_town_ids(session=session):
        raise DataError(_("町ID %(id)s は登録されていません", id=town_id))
    if catalog_queries.get_area(session=session, area_id=area_id) is None:
        raise DataError(_("業務 %(area)s はカタログにありません。", area=area_id))


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
    _require_loaded(database)
    target = out or Path(app.config["EXPORTS_DIR"]) / f"marks-{town_id}-{area_id}.xlsx"
    with database.session() as session:
        _town_and_area(session, town_id, area_id)
        check_output_files([target], force=force)
        data = sheet_bytes(session=session, town_id=town_id, area_id=area_id)
    write_bytes_atomically(target, data)
    _audit_written(database, "marks-sheet", [str(target)])
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
    _require_loaded(database)
    with database.write() as session:
        _town_and_area(session, town_id, area_id)
        try:
            preview = preview_sheet(
                session=session, source=file, town_id=town_id, area_id=area_id, display=str(file)
            )
        except InvalidInput as error:
            raise _fail(error) from None
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
        _audit(
            session,
            "marks.imported",
            town_id,
            {"files": [str(file)], "area": area_id, "by": changed_by, "changed": count},
        )
    click.echo(_("判定シートから %(count)s 件を反映しました", count=count))


# --- accounts, the audit trail, backup and restore (fitgap/cli_admin.py) --------------------

main.add_command(cli_admin.user)
main.add_command(cli_admin.audit)
main.add_command(cli_admin.backup)
main.add_command(cli_admin.restore)
main.add_command(cli_group.group)
