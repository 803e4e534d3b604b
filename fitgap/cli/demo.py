"""`fitgap demo`: a fresh demo database with the sample data, then the server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask

from fitgap import create_app
from fitgap.cli import admin as cli_admin
from fitgap.cli import group as cli_group
from fitgap.cli.data import load_files, print_load_report
from fitgap.cli.marks import import_marks
from fitgap.cli.serve import serve_app
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import cli_actor
from fitgap.cli.support import database_of as _database
from fitgap.domain.i18n import _
from fitgap.store import catalog as catalog_queries

DEMO_MARKS_DIR = Path("demo") / "marks"


DEMO_MEETINGS_FILE = Path("demo") / "meetings.yaml"
DEMO_ANSWERS_FILE = Path("demo") / "vendor_answers.yaml"


@click.command()
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
    print_load_report(load_files(app))
    files = sorted(Path(settings.get("DEMO_MARKS_DIR", DEMO_MARKS_DIR)).glob("*.yaml"))
    if files:
        report = import_marks(app, files, "demo")
        click.echo(_("デモの判定 %(count)s 件を取り込みました", count=report.added))
    meetings_file = Path(settings.get("DEMO_MEETINGS_FILE", DEMO_MEETINGS_FILE))
    if meetings_file.is_file():
        count = load_demo_meetings(app, meetings_file)
        click.echo(_("デモの会議 %(count)s 件を作成しました", count=count))
    cli_group.create_demo_scenarios(_database(app))
    answers_file = Path(settings.get("DEMO_ANSWERS_FILE", DEMO_ANSWERS_FILE))
    if answers_file.is_file():
        count = load_demo_answers(app, answers_file)
        click.echo(_("デモのベンダー回答 %(count)s 件を登録しました", count=count))
    accounts = cli_admin.create_demo_accounts(app)
    app.config["DEMO_ACCOUNTS"] = accounts
    click.echo(_("デモのアカウント（デモ専用。ログイン画面にも表示されます）:"))
    for account in accounts:
        click.echo(f"  {account.login:<16} {account.password}  {account.role:<10} {account.name}")
    if not no_serve:
        serve_app(app, host, port, threads=8)


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
                    actor=cli_actor(),
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


def load_demo_answers(app: Flask, path: Path) -> int:
    """Store the vendor's sample answers of demo/vendor_answers.yaml; returns how many."""
    import datetime as dt

    import yaml

    from fitgap.domain.values import Cost
    from fitgap.domain.vendor import VendorAnswer, parse_kind
    from fitgap.services.vendor import record_answer
    from fitgap.store import vendor as vendor_queries

    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    database = _database(app)
    count = 0
    with database.write() as session:
        for entry in document.get("answers", []):
            kind = parse_kind(entry["kind"])
            if kind is None:
                raise ValueError(f"{path}: {entry['function']}: kind {entry['kind']}")
            cost = None
            if "initial_yen" in entry or "annual_yen" in entry:
                cost = Cost.of(entry.get("initial_yen"), entry.get("annual_yen"))
            function_id = str(entry["function"])
            current = vendor_queries.latest_answer(session=session, function_id=function_id)
            record_answer(
                session=session,
                answer=VendorAnswer(
                    function_id=function_id,
                    kind=kind,
                    detail=str(entry["detail"]).strip(),
                    answered_on=dt.date.fromisoformat(str(entry["answered_on"])),
                    text=str(entry["text"]).strip() if entry.get("text") else None,
                    cost=cost,
                    answered_by=str(document.get("answered_by", "vendor")),
                ),
                expected_id=current.id if current else 0,
                source="demo",
                actor=cli_actor(),
            )
            count += 1
    return count
