"""Administration: accounts (create, change, disable, reset a password, assign areas) and the
audit trail (filters, CSV export, chain check). Administrators only; nothing else destructive
is offered on the web (catalog loads and backups stay on the command line)."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, send_file, url_for
from werkzeug.wrappers import Response

from fitgap.domain.i18n import _
from fitgap.domain.wareki import JST
from fitgap.services.passwords import generate_password, hash_password, policy_from_config
from fitgap.store import accounts as account_queries
from fitgap.store import audit as audit_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store.db import MAX_INTEGER
from fitgap.store.models import Account, Role
from fitgap.web import authz, htmx
from fitgap.web.database import get_db, get_session
from fitgap.web.presenters import audit as audit_presenter

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = authz.roles(Role.ADMIN)

AUDIT_PAGE_SIZE = 100
STATE_ACTIONS = {
    "disable": "account.disabled",
    "enable": "account.enabled",
    "unlock": "account.unlocked",
}


# --- accounts --------------------------------------------------------------------------------


@bp.get("/accounts")
@admin_only
def accounts() -> Response:
    """Every account with its role, town, areas and state."""
    session = get_session()
    towns = catalog_queries.list_towns(session=session)
    return htmx.render(
        "admin/accounts.html",
        accounts=account_queries.list_accounts(session=session),
        areas_of=account_queries.areas_by_account(session=session),
        town_names={t.id: t.name for t in towns},
        area_names={a.id: a.name for a in catalog_queries.list_areas(session=session)},
        now=datetime.now(JST),
        is_locked=account_queries.is_locked,
    )


def _account_input(login: str) -> account_queries.AccountInput:
    form = request.form
    return account_queries.AccountInput(
        login=login,
        display_name=form.get("display_name", ""),
        role=form.get("role", ""),
        town_id=form.get("town_id") or None,
        all_areas=form.get("all_areas") == "1",
        area_ids=tuple(form.getlist("area")),
    )


def _account_form(
    account: Account | None, problems: list[str], status: int = 200, **extra: Any
) -> Response:
    session = get_session()
    if request.method == "POST":
        values: dict[str, Any] = {
            "login": request.form.get("login", ""),
            "display_name": request.form.get("display_name", ""),
            "role": request.form.get("role", ""),
            "town_id": request.form.get("town_id", ""),
            "all_areas": request.form.get("all_areas") == "1",
            "areas": set(request.form.getlist("area")),
        }
    elif account is not None:
        assert account.id is not None  # noqa: S101 - a stored account
        values = {
            "login": account.login,
            "display_name": account.display_name,
            "role": account.role,
            "town_id": account.town_id or "",
            "all_areas": account.all_areas,
            "areas": account_queries.account_areas(session=session, account_id=account.id),
        }
    else:
        values = {"role": Role.STAFF.value, "all_areas": False, "areas": set()}
    response = htmx.render(
        "admin/account_form.html",
        account=account,
        values=values,
        problems=problems,
        roles=list(Role),
        towns=catalog_queries.list_towns(session=session),
        areas=catalog_queries.list_areas(session=session),
        is_locked=account_queries.is_locked,
        now=datetime.now(JST),
        **extra,
    )
    response.status_code = status
    return response


def _issued(account: Account, password: str, *, created: bool) -> Response:
    """The new password, shown once to the administrator to hand over."""
    return htmx.render(
        "admin/password_issued.html", account=account, password=password, created=created
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@admin_only
def new_account() -> Response:
    """Create an account; its first password is generated, to be changed at the first sign-in
    (PASSWORD_FORCE_INITIAL_CHANGE)."""
    if request.method == "GET":
        return _account_form(None, [])
    data = _account_input(request.form.get("login", ""))
    config = current_app.config
    password = generate_password(policy_from_config(config))
    get_session().commit()
    try:
        with get_db().write() as write:
            account = account_queries.create_account(
                session=write,
                data=data,
                password_hash=hash_password(password, str(config["PASSWORD_HASH_METHOD"])),
                must_change_password=bool(config["PASSWORD_FORCE_INITIAL_CHANGE"]),
            )
            authz.audit(
                write,
                "account.created",
                f"account:{account.login}",
                _account_details(write, account),
            )
    except account_queries.AccountError as error:
        return _account_form(None, error.problems, 422)
    return _issued(account, password, created=True)


def _account_details(session: Any, account: Account) -> dict[str, Any]:
    assert account.id is not None  # noqa: S101 - a stored account
    return {
        "role": account.role,
        "town": account.town_id,
        "all_areas": account.all_areas,
        "areas": sorted(account_queries.account_areas(session=session, account_id=account.id)),
        "display_name": account.display_name,
    }


def _account_or_404(account_id: int) -> Account:
    account = account_queries.get_account(session=get_session(), account_id=account_id)
    if account is None:
        abort(404)
    return account


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@admin_only
def account(account_id: int) -> Response:
    """One account: change its name, role, town and areas; disable, unlock, reset."""
    existing = _account_or_404(account_id)
    if request.method == "GET":
        return _account_form(existing, [])
    data = _account_input(existing.login)
    get_session().commit()
    try:
        with get_db().write() as write:
            changes = account_queries.update_account(
                session=write, account_id=account_id, data=data
            )
            if changes:
                authz.audit(write, "account.updated", f"account:{existing.login}", changes)
    except account_queries.AccountError as error:
        return _account_form(existing, error.problems, 422)
    return redirect(url_for("admin.account", account_id=account_id, saved=1), code=303)


def _state_change(account_id: int, action: str) -> Response:
    existing = _account_or_404(account_id)
    user = authz.require_user()
    if action == "disable" and existing.id == user.id:
        return _account_form(existing, [_("自分のアカウントは無効にできません")], 422)
    get_session().commit()
    try:
        with get_db().write() as write:
            if action == "disable":
                account_queries.disable_account(session=write, account_id=account_id)
            elif action == "enable":
                account_queries.enable_account(session=write, account_id=account_id)
            else:
                account_queries.unlock_account(session=write, account_id=account_id)
            authz.audit(write, STATE_ACTIONS[action], f"account:{existing.login}")
    except account_queries.AccountError as error:
        return _account_form(existing, error.problems, 422)
    return redirect(url_for("admin.account", account_id=account_id), code=303)


@bp.post("/accounts/<int:account_id>/disable")
@admin_only
def disable(account_id: int) -> Response:
    """Disable an account: it can no longer sign in and its sessions end."""
    return _state_change(account_id, "disable")


@bp.post("/accounts/<int:account_id>/enable")
@admin_only
def enable(account_id: int) -> Response:
    """Let a disabled account sign in again."""
    return _state_change(account_id, "enable")


@bp.post("/accounts/<int:account_id>/unlock")
@admin_only
def unlock(account_id: int) -> Response:
    """End a lockout after failed sign-ins."""
    return _state_change(account_id, "unlock")


@bp.post("/accounts/<int:account_id>/reset-password")
@admin_only
def reset_password(account_id: int) -> Response:
    """Give the account a new generated password, to be changed at the next sign-in."""
    existing = _account_or_404(account_id)
    config = current_app.config
    password = generate_password(policy_from_config(config))
    get_session().commit()
    with get_db().write() as write:
        changed = account_queries.set_password(
            session=write,
            account_id=account_id,
            password_hash=hash_password(password, str(config["PASSWORD_HASH_METHOD"])),
            must_change_password=True,
        )
        authz.audit(write, "account.password_reset", f"account:{existing.login}")
    return _issued(changed, password, created=False)


# --- the audit trail -------------------------------------------------------------------------


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _audit_filters() -> audit_queries.AuditFilter:
    return audit_queries.AuditFilter(
        actor=request.args.get("actor", "").strip()[:200],
        action=request.args.get("action", "").strip()[:64],
        since=_date_arg("since"),
        until=_date_arg("until"),
    )


def _filter_args(filters: audit_queries.AuditFilter) -> dict[str, str]:
    values = {
        "actor": filters.actor,
        "action": filters.action,
        "since": filters.since.isoformat() if filters.since else "",
        "until": filters.until.isoformat() if filters.until else "",
    }
    return {key: value for key, value in values.items() if value}


@bp.get("/audit")
@admin_only
def audit() -> Response:
    """The audit trail, newest first, filtered by actor, action and dates."""
    session = get_session()
    filters = _audit_filters()
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    # Past the last page the list is empty; a page beyond any record stays a number the
    # database's OFFSET takes.
    page = min(page, MAX_INTEGER // AUDIT_PAGE_SIZE)
    total = audit_queries.count_records(session=session, filters=filters)
    records = audit_queries.list_records(
        session=session,
        filters=filters,
        offset=(page - 1) * AUDIT_PAGE_SIZE,
        limit=AUDIT_PAGE_SIZE,
    )
    verification = (
        audit_queries.verify(session=session) if request.args.get("verify") == "1" else None
    )
    return htmx.render(
        "admin/audit.html",
        records=audit_presenter.audit_rows(session=session, records=records),
        filters=filters,
        args=_filter_args(filters),
        total=total,
        page=page,
        has_more=page * AUDIT_PAGE_SIZE < total,
        actions=audit_presenter.action_choices(audit_queries.ACTIONS),
        actors=audit_queries.actors(session=session),
        verification=verification,
    )


@bp.get("/audit.csv")
@admin_only
def audit_csv() -> Response:
    """The filtered audit trail as CSV (UTF-8 with BOM for Excel, hashes included)."""
    filters = _audit_filters()
    session = get_session()
    data = audit_queries.to_csv(session=session, filters=filters)
    session.commit()
    with get_db().write() as write:
        authz.audit(write, "audit.exported", None, {"filters": _filter_args(filters)})
    stamp = datetime.now(JST).strftime("%Y%m%d-%H%M")
    return send_file(
        io.BytesIO(data),
        mimetype="text/csv",  # werkzeug adds "; charset=utf-8" to a text type
        as_attachment=True,
        download_name=f"audit-{stamp}.csv",
        max_age=0,
    )
