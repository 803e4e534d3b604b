"""The administration commands of `fitgap`: accounts, the audit trail, backup and restore.

Passwords are typed at a hidden prompt (twice) or read as one line from standard input with
`--password-stdin`; never from the command line, where other users and the shell history
would see them. Every change is recorded in the audit trail as `cli:<os user>` from "local".
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy.engine import URL, make_url

from fitgap.cli.support import (
    FORCE_HELP,
    DataError,
    UsageError,
    check_output_files,
    cli_actor,
    write_bytes_atomically,
)
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.domain.i18n import _
from fitgap.services.passwords import MAX_PASSWORD_LENGTH, generate_password, hash_password
from fitgap.services.passwords import policy_from_config as _policy
from fitgap.store import accounts as account_queries
from fitgap.store import audit as audit_queries
from fitgap.store import backup as backups
from fitgap.store import catalog as catalog_queries
from fitgap.store.db import Database
from fitgap.store.models import Role

SQLITE_HEADER = b"SQLite format 3\x00"


def _ready(app: Flask) -> Database:
    """The database, brought up to the newest schema (a fresh install included)."""
    database = _database(app)
    database.upgrade()
    return database


# --- accounts --------------------------------------------------------------------------------


@click.group()
def user() -> None:
    """Accounts: add, list, disable, enable, unlock, reset-password."""


def _read_password(app: Flask, login: str, from_stdin: bool) -> str:
    policy = _policy(app.config)
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            _("パスワード"),
            hide_input=True,
            confirmation_prompt=_("パスワード（確認）"),
            err=True,
            type=str,
        )
    problems = policy.problems(password, login=login)
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(_("パスワードは %(n)s 文字以内にしてください", n=MAX_PASSWORD_LENGTH))
    if problems:
        raise DataError("\n".join(problems))
    return password


@user.command("add")
@click.argument("login")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    required=True,
    help="staff | moderator | observer | admin | vendor.",
)
@click.option("--town", "town_id", help="The town (required for staff).")
@click.option("--area", "areas", multiple=True, help="An area assigned to staff (repeatable).")
@click.option("--all-areas", is_flag=True, help="Staff: every area, present and future.")
@click.option("--password-stdin", is_flag=True, help="Read the password as one line of stdin.")
@click.pass_context
def user_add(
    ctx: click.Context,
    login: str,
    display_name: str,
    role: str,
    town_id: str | None,
    areas: tuple[str, ...],
    all_areas: bool,
    password_stdin: bool,
) -> None:
    """Create an account; the password is asked for twice (or read from stdin)."""
    app = _app(ctx)
    database = _ready(app)
    data = account_queries.AccountInput(
        login=login,
        display_name=display_name,
        role=role,
        town_id=town_id,
        all_areas=all_areas,
        area_ids=areas,
    )
    if all_areas and areas:
        raise UsageError(_("--area と --all-areas は同時に指定できません"))
    # Check before asking for the password, so a typo does not cost a password round.
    with database.session() as session:
        try:
            account_queries.check_input(session, data, account_id=None)
        except account_queries.AccountError as error:
            raise DataError("\n".join(error.problems)) from None
    password = _read_password(app, account_queries.normalize_login(login), password_stdin)
    with database.write() as session:
        try:
            account = account_queries.create_account(
                session=session,
                data=data,
                password_hash=hash_password(password, str(app.config["PASSWORD_HASH_METHOD"])),
                must_change_password=bool(app.config["PASSWORD_FORCE_INITIAL_CHANGE"]),
            )
        except account_queries.AccountError as error:
            raise DataError("\n".join(error.problems)) from None
        audit_queries.append(
            session=session,
            actor=cli_actor(),
            action="account.created",
            target=f"account:{account.login}",
            details={
                "role": account.role,
                "town": account.town_id,
                "all_areas": account.all_areas,
                "areas": sorted(data.area_ids) if not all_areas else [],
                "display_name": account.display_name,
            },
        )
    click.echo(_("アカウント %(login)s を作りました", login=account.login))


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """Every account: login id, role, town, areas, state, name."""
    database = _ready(_app(ctx))
    now = datetime.now(UTC)
    with database.session() as session:
        areas = account_queries.areas_by_account(session=session)
        for account in account_queries.list_accounts(session=session):
            assert account.id is not None  # noqa: S101 - a stored account
            if account.disabled_at is not None:
                state = _("無効")
            elif account_queries.is_locked(account, now):
                state = _("ロック中")
            else:
                state = _("有効")
            if account.role != Role.STAFF:
                assigned = "-"
            elif account.all_areas:
                assigned = "*"
            else:
                assigned = ",".join(areas.get(account.id, [])) or "-"
            click.echo(
                "\t".join(
                    [
                        account.login,
                        account.role,
                        account.town_id or "-",
                        assigned,
                        state,
                        account.display_name,
                    ]
                )
            )


def _by_login(session: Any, login: str) -> Any:
    account = account_queries.get_by_login(session=session, login=login)
    if account is None:
        raise DataError(_("アカウント %(login)s はありません", login=login))
    return account


def _state_command(ctx: click.Context, login: str, action: str) -> None:
    database = _ready(_app(ctx))
    with database.write() as session:
        account = _by_login(session, login)
        try:
            if action == "account.disabled":
                account_queries.disable_account(session=session, account_id=account.id)
            elif action == "account.enabled":
                account_queries.enable_account(session=session, account_id=account.id)
            else:
                account_queries.unlock_account(session=session, account_id=account.id)
        except account_queries.AccountError as error:
            raise DataError("\n".join(error.problems)) from None
        audit_queries.append(
            session=session, actor=cli_actor(), action=action, target=f"account:{account.login}"
        )


@user.command("disable")
@click.argument("login")
@click.pass_context
def user_disable(ctx: click.Context, login: str) -> None:
    """Disable an account: it cannot sign in, and its open sessions end."""
    _state_command(ctx, login, "account.disabled")
    click.echo(_("アカウント %(login)s を無効にしました", login=login))


@user.command("enable")
@click.argument("login")
@click.pass_context
def user_enable(ctx: click.Context, login: str) -> None:
    """Let a disabled account sign in again."""
    _state_command(ctx, login, "account.enabled")
    click.echo(_("アカウント %(login)s を有効にしました", login=login))


@user.command("unlock")
@click.argument("login")
@click.pass_context
def user_unlock(ctx: click.Context, login: str) -> None:
    """End a lockout after failed sign-ins."""
    _state_command(ctx, login, "account.unlocked")
    click.echo(_("アカウント %(login)s のロックを解除しました", login=login))


@user.command("reset-password")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password as one line of stdin.")
@click.pass_context
def user_reset_password(ctx: click.Context, login: str, password_stdin: bool) -> None:
    """Set a new password, to be changed at the next sign-in; unlocks and ends sessions."""
    app = _app(ctx)
    database = _ready(app)
    with database.session() as session:
        account = _by_login(session, login)
    password = _read_password(app, account.login, password_stdin)
    with database.write() as session:
        account_queries.set_password(
            session=session,
            account_id=account.id,
            password_hash=hash_password(password, str(app.config["PASSWORD_HASH_METHOD"])),
            must_change_password=True,
        )
        audit_queries.append(
            session=session,
            actor=cli_actor(),
            action="account.password_reset",
            target=f"account:{account.login}",
        )
    click.echo(
        _(
            "%(login)s のパスワードを設定しました（次のログインで変更が必要です）",
            login=account.login,
        )
    )


# --- demo accounts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A demo account and its password (demo only: printed and shown on the sign-in page)."""

    login: str
    name: str
    role: str
    password: str


def create_demo_accounts(app: Flask) -> list[DemoAccount]:
    """One staff account per town (every area), a moderator, an observer, an administrator
    and the vendor."""
    database = _database(app)
    policy = _policy(app.config)
    method = str(app.config["PASSWORD_HASH_METHOD"])
    made: list[DemoAccount] = []
    with database.write() as session:
        wanted: list[tuple[str, str, Role, str | None]] = [
            (town.id, f"{town.name} 職員", Role.STAFF, town.id)
            for town in catalog_queries.list_towns(session=session)
        ]
        wanted += [
            ("moderator", "山本（コンサルタント）", Role.MODERATOR, None),
            ("observer", "石井町 総務課長（閲覧）", Role.OBSERVER, None),
            ("admin", "情報政策課 管理者", Role.ADMIN, None),
            ("vendor", "パッケージベンダー 導入支援担当", Role.VENDOR, None),
        ]
        for login, name, role, town_id in wanted:
            password = generate_password(policy)
            account = account_queries.create_account(
                session=session,
                data=account_queries.AccountInput(
                    login=login,
                    display_name=name,
                    role=role.value,
                    town_id=town_id,
                    all_areas=role is Role.STAFF,
                ),
                password_hash=hash_password(password, method),
                must_change_password=False,
            )
            audit_queries.append(
                session=session,
                actor=cli_actor(),
                action="account.created",
                target=f"account:{account.login}",
                details={"role": role.value, "town": town_id, "demo": True},
            )
            made.append(DemoAccount(account.login, name, role.value, password))
    return made


# --- the audit trail -------------------------------------------------------------------------


@click.group()
def audit() -> None:
    """The audit trail: verify the hash chain, export it, prune the oldest records."""


def _print_breaks(verification: audit_queries.Verification) -> None:
    for found in verification.breaks:
        click.echo(_("記録 %(n)s：%(reason)s", n=found.sequence, reason=found.reason), err=True)


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the chain from the prune anchor to the newest record; exit 1 if it is broken."""
    database = _ready(_app(ctx))
    with database.session() as session:
        verification = audit_queries.verify(session=session)
    if not verification.intact:
        first = verification.breaks[0]
        raise DataError(
            _(
                "監査ログが改ざんされています。最初の異常は記録 %(n)s：%(reason)s",
                n=first.sequence,
                reason=first.reason,
            )
        )
    click.echo(
        _(
            "監査ログに異常はありません: %(count)s 件（記録 %(first)s〜%(last)s）",
            count=verification.count,
            first=verification.first or "-",
            last=verification.last or "-",
        )
    )
    # Noted down elsewhere (paper, another system), the newest hash proves later that nothing
    # up to it was rewritten, even by someone able to recompute the whole chain.
    click.echo(_("最新の記録のハッシュ: %(hash)s", hash=verification.head_hash))


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("日付は YYYY-MM-DD の形で指定してください")) from None


@audit.command("export")
@click.option("--out", type=click.Path(path_type=Path), help="File to write.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.option("--since", help="First day (YYYY-MM-DD, Japan time).")
@click.option("--until", help="Last day (YYYY-MM-DD, Japan time).")
@click.option("--actor", default="", help="Only this actor.")
@click.option("--action", default="", help="Only this action.")
@click.pass_context
def audit_export(
    ctx: click.Context,
    out: Path | None,
    since: str | None,
    until: str | None,
    actor: str,
    action: str,
    force: bool,
) -> None:
    """Write the audit trail as CSV (UTF-8 with BOM, hashes included)."""
    app = _app(ctx)
    database = _ready(app)
    filters = audit_queries.AuditFilter(
        actor=actor, action=action, since=_date(since), until=_date(until)
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = out or Path(app.config["EXPORTS_DIR"]) / f"audit-{stamp}.csv"
    check_output_files([target], force=force)
    with database.session() as session:
        data = audit_queries.to_csv(session=session, filters=filters)
    write_bytes_atomically(target, data)
    with database.write() as session:
        audit_queries.append(
            session=session,
            actor=cli_actor(),
            action="audit.exported",
            target=str(target),
            details={"actor": actor, "action": action, "since": since, "until": until},
        )
    click.echo(str(target))


@audit.command("prune")
@click.option("--before", help="Remove records written before this day (YYYY-MM-DD).")
@click.option("--yes", is_flag=True, help="Really remove them (without it: only show).")
@click.pass_context
def audit_prune(ctx: click.Context, before: str | None, yes: bool) -> None:
    """Remove the oldest records, keeping at least AUDIT_RETENTION_YEARS years."""
    app = _app(ctx)
    database = _ready(app)
    years = int(app.config["AUDIT_RETENTION_YEARS"])
    cutoff = audit_queries.retention_cutoff(datetime.now(UTC).date(), years)
    day = _date(before) or cutoff
    if day > cutoff:
        raise DataError(
            _(
                "%(day)s より前の記録は保存期間（%(years)s 年）内なので削除できません。"
                "%(cutoff)s 以前の日付を指定してください",
                day=day.isoformat(),
                years=years,
                cutoff=cutoff.isoformat(),
            )
        )
    moment = audit_queries.day_start(day)
    with database.session() as session:
        plan = audit_queries.prune_plan(session=session, before=moment)
    if plan.count == 0:
        click.echo(_("削除する記録はありません"))
        return
    if not yes:
        click.echo(
            _(
                "%(day)s より前の記録 %(count)s 件（記録 %(through)s まで）を削除できます。"
                "削除するときは --yes を付けてください",
                day=day.isoformat(),
                count=plan.count,
                through=plan.through,
            )
        )
        return
    with database.write() as session:
        done = audit_queries.prune(session=session, before=moment, actor=cli_actor())
    click.echo(
        _(
            "記録 %(count)s 件を削除しました（記録 %(through)s まで）。検証はここから始まります",
            count=done.count,
            through=done.through,
        )
    )


# --- backup and restore (the internals: fitgap.store.backup) -----------------------------------


def _sqlite_path(database: Database) -> Path:
    path = backups.sqlite_path(database)
    if path is None:
        raise UsageError(_("ファイルのない SQLite データベースはバックアップできません"))
    return path


def _pg_url(database: Database) -> str:
    """The database's URL for libpq tools, without the password (never printed)."""
    url = make_url(database.url)
    bare = URL.create(
        drivername="postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return bare.render_as_string(hide_password=False)


@click.command()
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="File to write.")
@click.pass_context
def backup(ctx: click.Context, out: Path | None) -> None:
    """Copy the SQLite database while the app runs (SQLite's online backup), readable by the
    server's user only; for PostgreSQL, print the pg_dump command to use instead."""
    app = _app(ctx)
    database = _database(app)
    if not database.is_sqlite:
        stamp = backups.stamp()
        raise UsageError(
            _(
                "PostgreSQL のバックアップには pg_dump を使ってください（アプリを動かしたまま"
                "一貫したコピーが取れます）。パスワードは PGPASSWORD か ~/.pgpass で渡します:"
            )
            + f'\n  pg_dump --format=custom --file=fitgap-{stamp}.dump "{_pg_url(database)}"\n'
            + _(
                "戻すとき: pg_restore --clean --if-exists --dbname=... fitgap-%(stamp)s.dump",
                stamp=stamp,
            )
        )
    source = _sqlite_path(database)
    folder = Path(app.config.get("BACKUP_DIR") or Path(app.instance_path) / "backups")
    target = out or folder / f"fitgap-{backups.stamp()}.sqlite3"
    try:
        size = backups.create_backup(source, target)
    except backups.BackupError as error:
        raise DataError(str(error)) from None
    database.upgrade()
    with database.write() as session:
        audit_queries.append(
            session=session,
            actor=cli_actor(),
            action="backup.created",
            target=str(target),
            details={"bytes": size},
        )
    click.echo(str(target))


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Really replace the database (without it: check only).")
@click.pass_context
def restore(ctx: click.Context, file: Path, yes: bool) -> None:
    """Replace the SQLite database with a backup after checking it (stop `fitgap serve` first);
    the current database is kept as <name>.<time>.bak, and the audit records the backup lacks
    as <name>.<time>.dropped-audit.jsonl."""
    app = _app(ctx)
    database = _database(app)
    if not database.is_sqlite:
        raise UsageError(
            _(
                "PostgreSQL には pg_restore を使ってください: "
                "pg_restore --clean --if-exists --dbname=... FILE.dump"
            )
        )
    target = _sqlite_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        backups.require_sqlite_file(file)
        with backups.staged_copy(file, target.parent) as staged:
            check = backups.check_restore_candidate(staged, shown=file)
            records = (
                _("監査ログ %(count)s 件は正常", count=check.audit_records)
                if check.audit_records is not None
                else _("監査ログのない版")
            )
            click.echo(
                _(
                    "%(path)s は正常な fitgap のデータベースです（版 %(revision)s、%(records)s）",
                    path=file,
                    revision=check.revision,
                    records=records,
                )
            )
            if not yes:
                raise UsageError(
                    _("置き換えるときは、fitgap serve を止めてから --yes を付けて実行してください")
                )
            database.dispose()
            done = backups.restore(staged=staged, target=target, check=check)
    except backups.BackupError as error:
        raise DataError(str(error)) from None
    database.upgrade()
    with database.write() as session:
        backups.record_restore(
            session=session, actor=cli_actor(), source=file, check=check, done=done
        )
    click.echo(
        _(
            "%(path)s を戻しました。元のデータベースは %(bak)s にあります",
            path=file,
            bak=done.kept or "-",
        )
    )
    if done.trace is not None:
        click.echo(
            _(
                "戻したバックアップより新しい監査ログ %(count)s 件（記録 %(first)s〜%(last)s）は"
                " %(file)s に残しました",
                count=done.dropped,
                first=(done.restored.sequence if done.restored else 0) + 1,
                last=done.before.sequence if done.before else "-",
                file=done.trace,
            )
        )
