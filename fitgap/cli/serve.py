"""`fitgap serve`: the web app under waitress."""

from __future__ import annotations

import threading
from typing import Any

import click
from flask import Flask

from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.cli.support import (
    require_loaded,
)
from fitgap.domain.i18n import _
from fitgap.services.boards import app_boards
from fitgap.store import catalog as catalog_queries


@click.command()
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
    serve_app(app, host, port, threads, connection_limit)


def serve_app(app: Flask, host: str, port: int, threads: int, connection_limit: int = 1000) -> None:
    from waitress import serve as waitress_serve

    # Never a debug page or a traceback in production, whatever FLASK_DEBUG says.
    app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    require_loaded(_database(app))
    warning = shared_key_warning(app)
    if warning:
        click.echo(warning, err=True)
    # The first dashboard of a big project would score every mark while its user waits:
    # score it now, beside the server (a request meanwhile waits for the same work, not twice).
    warmer = threading.Thread(target=warm_boards, args=(app,), name="warm-boards", daemon=True)
    warmer.start()
    click.echo(
        _("http://%(host)s:%(port)s/ で待ち受けています（Ctrl+C で終了）", host=host, port=port)
    )
    # waitress accepts only 100 connections by default: a meeting of 30 towns' staff with
    # keep-alive browsers passes that, and the rest would wait until they time out.
    waitress_serve(app, **_waitress_options(app, host, port, threads, connection_limit))
    # The server stopped on its own (not Ctrl+C): leave nothing reading the database behind.
    warmer.join()


def warm_boards(app: Flask) -> None:
    """Score the whole project once, so that the first person to open the dashboard does not
    wait for it (at 600,000 marks that takes seconds; the kept boards then follow the changes).
    Every process warms its own. A failure only costs the first viewer the wait."""
    try:
        with _database(app).session() as session:
            towns = catalog_queries.list_towns(session=session)
            app_boards(app.extensions).board(session=session, area_id=None, towns=towns)
    except Exception:
        app.logger.warning("warming the project's scoreboard failed", exc_info=True)


def shared_key_warning(app: Flask) -> str | None:
    """A warning when this server signs sessions with a key of its own on a shared database.

    On PostgreSQL the database is made to be shared by several `fitgap serve` processes and
    machines behind a proxy; each machine generates its own instance/secret_key, so a browser
    the proxy sends to another machine would find its session invalid and be signed out."""
    key_file = app.config.get("SECRET_KEY_FILE")
    if not key_file or _database(app).is_sqlite:
        return None
    return _(
        "注意: セッションの署名鍵は、このコンピューターが自分で作った %(file)s です。"
        "同じ PostgreSQL を複数のサーバー（プロセスやコンピューター）で使うときは、"
        "すべてのサーバーに同じ鍵を環境変数 FITGAP_SECRET_KEY（または instance/config.py の "
        "SECRET_KEY）で設定してください。鍵が違うと、別のサーバーに振り分けられた利用者は"
        "サインアウトされます（docs/deployment.md）。",
        file=key_file,
    )


def _waitress_options(
    app: Flask, host: str, port: int, threads: int, connection_limit: int
) -> dict[str, Any]:
    """waitress's settings for the app.

    waitress removes every X-Forwarded-* header unless told to trust a proxy. With
    TRUST_PROXY the app itself believes the proxy's headers (werkzeug's ProxyFix, counting
    TRUST_PROXY proxies, as under any other WSGI server), so waitress passes them on as they
    came; without it they are removed, and never believed. A body larger than the largest
    upload the app takes is refused by waitress before it is even stored.
    """
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "threads": threads,
        "connection_limit": connection_limit,
        "ident": "fitgap",
        "max_request_body_size": int(app.config["MAX_UPLOAD_LENGTH"]),
    }
    if int(app.config.get("TRUST_PROXY") or 0) > 0:
        options["clear_untrusted_proxy_headers"] = False
    return options
