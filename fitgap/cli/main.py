"""The `fitgap` command. Exit status: 0 success, 1 the input or data is wrong, 2 usage.

This module holds the command group and its error handling; each family of commands lives
in a module of its own and is registered here.
"""

from __future__ import annotations

from typing import Any

import click

from fitgap.cli import admin as cli_admin
from fitgap.cli import catalog, data, demo, exports, marks, serve, vendor
from fitgap.cli import group as cli_group
from fitgap.cli.support import (
    DataError,
)
from fitgap.domain.i18n import language_from_environment, set_language


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


# --- the families of commands ---------------------------------------------------------------

for command in (
    data.check,
    data.load,
    data.score,
    marks.marks,
    vendor.vendor,
    exports.export,
    catalog.catalog,
    serve.serve,
    demo.demo,
    cli_admin.user,
    cli_admin.audit,
    cli_admin.backup,
    cli_admin.restore,
    cli_group.group,
):
    main.add_command(command)
