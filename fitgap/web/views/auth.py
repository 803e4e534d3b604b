"""Signing in and out, staying signed in, changing one's password, and the health check.

There is no self-registration and no "remember me": accounts are made by an administrator, and
the session cookie lasts until the browser closes, the idle timeout or `SESSION_MAX_HOURS`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from fitgap.domain.i18n import _
from fitgap.services.passwords import (
    MAX_PASSWORD_LENGTH,
    check_dummy,
    check_password,
    hash_password,
    policy_from_config,
)
from fitgap.store import accounts as account_queries
from fitgap.store.models import Account
from fitgap.web import authz, htmx
from fitgap.web.database import get_db, get_session
from fitgap.web.redirects import safe_next

bp = Blueprint("auth", __name__)


def _failed_message() -> str:
    # One message for every refusal: it does not tell whether the login id exists, whether
    # the password was wrong, or whether the account is locked or disabled.
    return _(
        "ログインできませんでした。ログインIDとパスワードを確かめてください。"
        "続けて間違えると、しばらくログインできなくなります。"
    )


def _login_page(message: str | None = None, status: int = 200) -> Response:
    session = get_session()
    response = htmx.render(
        "auth/login.html",
        message=message,
        login_value=request.form.get("login", "") if request.method == "POST" else "",
        next_url=safe_next(request.values.get("next"), ""),
        no_accounts=account_queries.count_accounts(session=session) == 0,
        demo_accounts=current_app.config.get("DEMO_ACCOUNTS", ())
        if current_app.config.get("DEMO")
        else (),
    )
    response.status_code = status
    return response


@bp.route("/login", methods=["GET", "POST"])
@authz.public
def login() -> Response:
    """The sign-in page, and signing in."""
    if request.method == "GET":
        if authz.current_user() is not None:
            return redirect(safe_next(request.args.get("next"), url_for("catalog.overview")))
        return _login_page()
    login_id = request.form.get("login", "")[:200]
    password = request.form.get("password", "")[:MAX_PASSWORD_LENGTH]
    method = str(current_app.config["PASSWORD_HASH_METHOD"])
    attempts = int(current_app.config["LOCKOUT_ATTEMPTS"])
    account = account_queries.get_by_login(session=get_session(), login=login_id)
    get_session().commit()  # end the read before writing (SQLite snapshots)
    refused: str | None = None
    claimed: int | None = None
    if account is None:
        check_dummy(password, method)
        refused = "unknown"
    elif account.disabled_at is not None:
        check_dummy(password, method)
        refused = "disabled"
    else:
        assert account.id is not None  # noqa: S101 - a stored account
        # The attempt is counted (and the account locked by the last one allowed) before the
        # password is checked: parallel guesses cannot check more passwords than the limit.
        with get_db().write() as write:
            claimed = account_queries.claim_sign_in_attempt(
                session=write,
                account_id=account.id,
                attempts=attempts,
                lock_minutes=float(current_app.config["LOCKOUT_MINUTES"]),
            )
        if claimed is None:
            check_dummy(password, method)
            refused = "locked"
        elif not check_password(account.password_hash, password):
            refused = "password"
    with get_db().write() as write:
        signed = None
        if refused is None and account is not None and claimed is not None:
            assert account.id is not None  # noqa: S101 - a stored account
            signed = account_queries.record_sign_in(
                session=write, account_id=account.id, claimed=claimed
            )
            refused = "changed" if signed is None else None
        if signed is not None:
            authz.sign_in(signed)
            authz.audit(write, "login", f"account:{signed.login}")
        else:
            details: dict[str, Any] = {"reason": refused}
            target = f"account:{account_queries.normalize_login(login_id)[:64]}"
            authz.audit(write, "login.failed", target, details)
            if refused == "password" and claimed is not None and claimed >= attempts:
                authz.audit(
                    write,
                    "account.locked",
                    target,
                    {"minutes": current_app.config["LOCKOUT_MINUTES"]},
                )
    if refused is not None:
        return _login_page(_failed_message())
    user = authz.require_user()
    if user.must_change_password or user.password_expired:
        return redirect(url_for("auth.password"), code=303)
    target_url = safe_next(request.form.get("next"), url_for("catalog.overview"))
    return redirect(target_url, code=303)


@bp.post("/logout")
@authz.signed_in
@authz.during_password_change
def logout() -> Response:
    """Sign out: the session ends on the server too, so a copy of the cookie (a shared PC,
    a saved browser profile) no longer signs anyone in. Raising the account's session version
    ends every session of the account, on every PC (one check, on the account row each
    request reads anyway)."""
    user = authz.require_user()
    with get_db().write() as write:
        account_queries.bump_session_version(session=write, account_id=user.id)
        authz.audit(write, "logout", f"account:{user.login}")
    authz.sign_out()
    flash(_("ログアウトしました。"), "notice")
    return redirect(url_for("auth.login"), code=303)


@bp.post("/session/keepalive")
@authz.signed_in
@authz.during_password_change
def keepalive() -> Response:
    """Stay signed in (the idle warning's button): the request itself is the activity."""
    if htmx.is_htmx():
        return Response(status=204)
    return redirect(safe_next(request.form.get("next"), url_for("catalog.overview")), code=303)


def _password_page(problems: list[str], status: int = 200, *, done: bool = False) -> Response:
    user = authz.require_user()
    policy = policy_from_config(current_app.config)
    response = htmx.render(
        "auth/password.html",
        problems=problems,
        forced=user.must_change_password,
        expired=user.password_expired,
        policy=policy,
        done=done,
    )
    response.status_code = status
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@authz.signed_in
@authz.during_password_change
def password() -> Response:
    """Change one's own password (required after a reset and when it expired)."""
    if request.method == "GET":
        return _password_page([])
    user = authz.require_user()
    current = request.form.get("current", "")
    new = request.form.get("new", "")
    repeated = request.form.get("repeat", "")
    account = account_queries.get_account(session=get_session(), account_id=user.id)
    assert account is not None  # noqa: S101 - the signed-in account
    problems: list[str] = []
    if not check_password(account.password_hash, current):
        problems.append(_("今のパスワードが違います。"))
    if new != repeated:
        problems.append(_("新しいパスワードが確認欄と一致しません。"))
    if len(new) > MAX_PASSWORD_LENGTH:
        problems.append(_("パスワードは %(n)s 文字以内にしてください", n=MAX_PASSWORD_LENGTH))
    policy = policy_from_config(current_app.config)
    problems += policy.problems(new, login=user.login)
    if not problems and check_password(account.password_hash, new):
        problems.append(_("今と違うパスワードにしてください。"))
    if problems:
        return _password_page(problems, 422)
    method = str(current_app.config["PASSWORD_HASH_METHOD"])
    get_session().commit()
    with get_db().write() as write:
        changed: Account = account_queries.set_password(
            session=write,
            account_id=user.id,
            password_hash=hash_password(new, method),
            must_change_password=False,
        )
        authz.audit(write, "password.changed", f"account:{user.login}")
    # This session starts anew with the new session version; every other one ends.
    authz.sign_in(changed)
    return _password_page([], done=True)


@bp.get("/health")
@authz.public
def health() -> Response:
    """For the reverse proxy and monitoring: 200 when the database answers."""
    get_session().execute(text("SELECT 1"))
    response = Response("ok\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
