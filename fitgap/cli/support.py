"""What every `fitgap` command shares: the app, its database, errors and atomic writes."""

from __future__ import annotations

import getpass
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fitgap import create_app
from fitgap.domain.files.catalog import InvalidInput
from fitgap.domain.i18n import _

if TYPE_CHECKING:
    from flask import Flask

    from fitgap.store import audit as audit_queries
    from fitgap.store.db import Database


class DataError(click.ClickException):
    """Wrong input or data: printed on stderr, exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


class UsageError(click.ClickException):
    """A command that cannot be used this way (exit status 2)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


def app_of(
    ctx: click.Context,
    overrides: dict[str, Any] | None = None,
    *,
    views: bool = True,
    database: bool = True,
) -> Flask:
    """The command's app (made once per command, by the test factory in tests). `views=False`:
    only its settings and database, for a command that neither serves nor renders pages;
    `database=False` too: only its settings (`fitgap check` loads no SQLAlchemy)."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "app" not in obj:
        factory: Callable[..., Flask] | None = obj.get("factory")
        if factory is None:
            obj["app"] = create_app(overrides, views=views, database=database)
        else:
            obj["app"] = factory(overrides) if overrides else factory()
    app: Flask = obj["app"]
    return app


def database_of(app: Flask) -> Database:
    """The app's database."""
    database: Database = app.extensions["fitgap.store.db"]
    return database


FORCE_HELP = "Overwrite existing files."


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()


def check_output_folder(folder: Path) -> None:
    """Refuse a folder to write into that is a file, or lies under one (DataError, exit 1)."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise DataError(
            _(
                "%(path)s はフォルダではありません。書き出すフォルダを指定してください",
                path=existing,
            )
        )


def check_output_files(paths: Iterable[Path], *, force: bool) -> None:
    """Before anything is written: refuse an output file that is a folder, or under a file, and
    one that exists unless --force was given (DataError, exit 1; nothing written)."""
    for path in paths:
        if path.is_dir():
            raise DataError(
                _("%(path)s はフォルダです。書き出すファイルの名前を指定してください", path=path)
            )
        check_output_folder(path.parent)
        if path.exists() and not force:
            raise DataError(
                _("%(path)s はすでにあります。上書きするときは --force を付けてください", path=path)
            )


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        # mkstemp makes the file private; an export is for sharing, so honour the umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` to write a large output into; it replaces `path` only
    when the block ends without an error (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    os.close(descriptor)
    try:
        yield Path(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically, with LF line ends."""
    write_bytes_atomically(path, text.encode("utf-8"))


_JSON = json.JSONEncoder(ensure_ascii=False)


def echo_json(document: dict[str, Any]) -> None:
    """Print a JSON object with each key, and each item of its lists, on a line of its own.

    json.dumps with `indent` runs the pure-Python encoder (4 s for a whole project's 19 MB of
    scores); the items are encoded by the C encoder instead, and the output stays readable
    and diffable line by line."""
    encode = _JSON.encode
    parts: list[str] = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            encoded = "[\n  " + ",\n  ".join(encode(item) for item in value) + "]"
        else:
            encoded = encode(value)
        parts.append(f"{encode(key)}: {encoded}")
    click.echo("{" + ",\n ".join(parts) + "}")


def fail(problems: InvalidInput) -> DataError:
    count = len(problems.problems)
    return DataError(f"{problems}\n" + _("%(count)s 件の問題があります", count=count))


def audit_command(session: Any, action: str, target: str | None, details: dict[str, Any]) -> None:
    """Record a change made on the command line, in its transaction."""
    from fitgap.store import audit as audit_queries

    audit_queries.append(
        session=session, actor=cli_actor(), action=action, target=target, details=details
    )


def audit_written(database: Database, kind: str, paths: list[str]) -> None:
    """Record files an export command wrote."""
    if paths:
        with database.write() as session:
            audit_command(session, "export.written", kind, {"files": paths})


@contextmanager
def progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (only drawn on a terminal)."""
    with click.progressbar(length=max(length, 1), label=label, file=sys.stderr) as bar:
        yield bar.update


def require_loaded(database: Database) -> None:
    if not database.is_current():
        raise DataError(_("データベースが準備されていません。先に fitgap load を実行してください"))


def require_town_and_area(session: Any, town_id: str, area_id: str) -> None:
    from fitgap.store import catalog as catalog_queries

    if town_id not in catalog_queries.active_town_ids(session=session):
        raise DataError(_("町ID %(id)s は登録されていません", id=town_id))
    if catalog_queries.get_area(session=session, area_id=area_id) is None:
        raise DataError(_("業務 %(area)s はカタログにありません。", area=area_id))


def os_user() -> str:
    """The operating system user running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def cli_actor() -> audit_queries.Actor:
    """Who runs the command line, for the audit trail."""
    from fitgap.store import audit as audit_queries

    return audit_queries.Actor(name=f"cli:{os_user()}", address="local")
