"""What every `fitgap` command shares: the app, its database, errors and atomic writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask

from fitgap import create_app
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


def app_of(ctx: click.Context, overrides: dict[str, Any] | None = None) -> Flask:
    """The command's app (made once per command, by the test factory in tests)."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "app" not in obj:
        factory: Callable[..., Flask] = obj.get("factory", create_app)
        obj["app"] = factory(overrides) if overrides else factory()
    app: Flask = obj["app"]
    return app


def database_of(app: Flask) -> Database:
    """The app's database."""
    database: Database = app.extensions["fitgap.store.db"]
    return database


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


def write_atomically(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically, with LF line ends."""
    write_bytes_atomically(path, text.encode("utf-8"))
