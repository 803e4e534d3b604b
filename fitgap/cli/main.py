"""The `fitgap` command. Exit status: 0 success, 1 the input or data is wrong, 2 usage.

This module holds the command group and its error handling; each family of commands lives
in a module of its own, imported only when one of its commands runs (or `--help` lists them):
`fitgap score` need not load the web app's views, Alembic or openpyxl.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from fitgap.domain.i18n import language_from_environment, set_language

# Each command: the module of its family and the command's name there.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("fitgap.cli.data", "check"),
    "load": ("fitgap.cli.data", "load"),
    "score": ("fitgap.cli.data", "score"),
    "marks": ("fitgap.cli.marks", "marks"),
    "vendor": ("fitgap.cli.vendor", "vendor"),
    "export": ("fitgap.cli.exports", "export"),
    "catalog": ("fitgap.cli.catalog", "catalog"),
    "serve": ("fitgap.cli.serve", "serve"),
    "demo": ("fitgap.cli.demo", "demo"),
    "user": ("fitgap.cli.admin", "user"),
    "audit": ("fitgap.cli.admin", "audit"),
    "backup": ("fitgap.cli.admin", "backup"),
    "restore": ("fitgap.cli.admin", "restore"),
    "group": ("fitgap.cli.group", "group"),
}


class _Commands(click.Group):
    """The command group; its commands are imported when asked for. A database that cannot be
    written or reached is a clear message and exit status 1, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, name = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), name)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            if "sqlalchemy" not in sys.modules:  # a command without a database (check)
                raise
            from sqlalchemy.exc import DBAPIError

            from fitgap.cli.support import DataError
            from fitgap.store.db import describe_database_error, is_database_unavailable

            if not isinstance(error, DBAPIError) or not is_database_unavailable(error):
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
