"""Friendly error pages in the user's language: never a stack trace, never a debug page.

A full page for a normal request; for an htmx request a short message sent to the page's
notice box (`HX-Retarget: #notice`), which fitgap.js shows even for an error status.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, make_response
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import InternalError as DatabaseInternalError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from fitgap.domain.i18n import _
from fitgap.store.db import describe_database_error, is_database_unavailable
from fitgap.web import htmx


def _messages(code: int) -> tuple[str, str]:
    """The title and explanation of an HTTP error, in the user's language."""
    if code == 400:
        return _("リクエストを処理できません"), _(
            "送られた内容に誤りがあります。ページを読み込み直してから、もう一度操作してください。"
        )
    if code == 401:
        return _("ログインが必要です"), _("ログインしてから操作してください。")
    if code == 403:
        return _("この操作の権限がありません"), _(
            "このアカウントではこの操作はできません。必要なら管理者に相談してください。"
        )
    if code == 404:
        return _("ページが見つかりません"), _(
            "アドレスが間違っているか、ページが移動しました。業務一覧から探してください。"
        )
    if code == 405:
        return _("この方法では操作できません"), _(
            "このページはこの方法では使えません。画面のボタンやリンクから操作してください。"
        )
    if code == 413:
        return _("送信する内容が大きすぎます"), _(
            "一度に送れる量を超えています。内容を分けるか、小さくしてから送ってください。"
        )
    return _("エラーが発生しました"), _(
        "サーバーで問題が起きました。しばらくしてからもう一度操作してください。"
        "続くときは管理者に連絡してください。"
    )


def error_response(code: int, title: str, message: str) -> Response:
    """The error as a page, or as a notice for htmx."""
    if htmx.is_htmx():
        response = make_response(Markup('<p class="warning">{}</p>').format(message), code)
        return htmx.retarget(response, "#notice", "innerHTML")
    response = htmx.render("errors/page.html", title=title, message=message, code=code)
    response.status_code = code
    return response


def _http_error(error: HTTPException) -> Response:
    code = error.code or 500
    title, message = _messages(code)
    response = error_response(code, title, message)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _csrf_error(error: CSRFError) -> Response:
    return error_response(
        400,
        _("画面の有効期限が切れました"),
        _(
            "画面を開いてから時間がたったか、ログインし直したため、この操作を受け付けられません"
            "でした。ページを読み込み直してから、もう一度操作してください。"
        ),
    )


def _internal_error(error: InternalServerError) -> Response:
    original = getattr(error, "original_exception", None)
    if original is not None:
        current_app.logger.error("unhandled error", exc_info=original)
    title, message = _messages(500)
    return error_response(500, title, message)


def _database_error(error: DBAPIError) -> Response:
    # A full or read-only disk, a read-only database server or one that went away: say so
    # instead of a generic error, and log it for IT staff. Nothing half-written: the
    # transaction rolled back.
    if not is_database_unavailable(error):
        raise error  # a bug, not the database's surroundings: handled as any other error
    current_app.logger.error("database error", exc_info=error)
    database_url = current_app.config.get("DATABASE_URL")
    return error_response(
        503, _("データベースを使えません"), describe_database_error(error, database_url)
    )


def _data_error(error: DataError) -> Response:
    # A value the database refuses to store or compare: text with a NUL character, text longer
    # than its column, a number out of range (PostgreSQL; SQLite takes most of them). It came
    # from the request, so it is the request's fault (400), not a server error; nothing was
    # half-written. The request's read session is rolled back so the error page can be shown.
    current_app.logger.warning("database refused a value: %s", error.orig)
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    return error_response(
        400,
        _("保存できない内容です"),
        _(
            "送られた内容に、長すぎる値か使えない文字（NUL など）が含まれていました。"
            "内容を見直してから、もう一度操作してください。"
        ),
    )


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(OperationalError, _database_error)
    # A read-only PostgreSQL server (a standby) answers writes with an InternalError.
    app.register_error_handler(DatabaseInternalError, _database_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _internal_error)
    app.register_error_handler(HTTPException, _http_error)
