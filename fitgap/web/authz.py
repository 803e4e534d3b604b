"""Who may do what: the one place every request and every view asks.

Every view declares who may call it with one of the decorators below (`public`, `signed_in`,
`roles`); a view without a declaration is refused, so a new route cannot slip past the checks.
A `before_request` hook, registered before CSRF protection, then

1. loads the signed-in account from the session cookie (account id + session version: raising
   the version on the account ends its sessions), and signs the session out after the idle
   timeout, after `SESSION_MAX_HOURS`, or when the account was disabled or changed;
2. sends anyone not signed in to the sign-in page (htmx requests get `HX-Redirect`);
3. sends an account that must change its password to that page, and nowhere else;
4. refuses (403) a role the view does not allow;
5. counts the request as activity for the idle timeout, unless the view is a
   `background_poll` (the dashboard's and the meetings' automatic refreshes).

Checks that depend on data (which town, which area) are the helpers below, called by the views:
`require_edit(town_id, area_id)` above all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    request,
    session,
    url_for,
)
from sqlmodel import Session
from werkzeug.wrappers import Response

from fitgap.domain.i18n import _
from fitgap.domain.labels import role_label
from fitgap.services.passwords import policy_from_config
from fitgap.store import accounts as account_queries
from fitgap.store import audit as audit_queries
from fitgap.store.models import Account, Role
from fitgap.web import htmx
from fitgap.web.database import get_session
from fitgap.web.redirects import safe_next

View = TypeVar("View", bound=Callable[..., Any])

ALL_ROLES = frozenset(Role)
# The project's own people: the towns, the consultant, the administrator. The vendor is not
# one of them: it reads the catalog and answers the customization requests, nothing else.
PROJECT_ROLES = ALL_ROLES - {Role.VENDOR}
# Who may change marks at all (town staff their own; a moderator any, with a reason).
MARKING_ROLES = frozenset({Role.STAFF, Role.MODERATOR})
# Who may download the read-only exports: the decision log (議事録) and the fit-gap matrix
# (Fit&Gap表). Every role: the minutes go to the towns' staff and management AND to the vendor
# (the decision log is what the vendor builds from), and the matrix is the document a fit-gap
# hands to the vendor; each download is audited. The vendor still opens none of the project's
# pages and downloads nothing else (the marking sheets are the project's: authz.project).
EXPORT_ROLES = ALL_ROLES
# Who answers the customization requests.
VENDOR_ROLES = frozenset({Role.VENDOR})
# Who reads the group page (参加団体の検討) and may add a scenario's table to an export: the
# consultant and the towns' management.
GROUP_ROLES = frozenset({Role.MODERATOR, Role.OBSERVER})

_ACCESS = "fitgap_access"
_PUBLIC = "public"
_POLL = "fitgap_background_poll"
_DURING_PASSWORD_CHANGE = "fitgap_during_password_change"  # noqa: S105 - not a password

SESSION_ACCOUNT = "account"
SESSION_VERSION = "version"
SESSION_SEEN = "seen"  # epoch seconds of the last request that counted as activity
SESSION_SINCE = "since"  # epoch seconds of the sign-in
KEPT_ON_SIGN_OUT = ("lang",)


# --- what each view declares -----------------------------------------------------------------


def public(view: View) -> View:
    """Anyone may call the view, signed in or not (sign-in page, language switch, health)."""
    setattr(view, _ACCESS, _PUBLIC)
    setattr(view, _DURING_PASSWORD_CHANGE, True)
    return view


def signed_in(view: View) -> View:
    """Any signed-in account may call the view, the vendor included (the catalog's read-only
    pages, the customization requests, the account's own password)."""
    setattr(view, _ACCESS, ALL_ROLES)
    return view


def project(view: View) -> View:
    """Any signed-in account of the project may call the view: every role but the vendor
    (the dashboard, the meetings)."""
    setattr(view, _ACCESS, PROJECT_ROLES)
    return view


def roles(*allowed: Role) -> Callable[[View], View]:
    """Only these roles may call the view; the others get 403."""

    def decorate(view: View) -> View:
        setattr(view, _ACCESS, frozenset(allowed))
        return view

    return decorate


def background_poll(view: View) -> View:
    """The view's htmx requests are automatic refreshes, not the user's activity: they do not
    keep the session alive (an open dashboard must not keep a walked-away PC signed in)."""
    setattr(view, _POLL, True)
    return view


def during_password_change(view: View) -> View:
    """The view stays reachable while the account must change its password."""
    setattr(view, _DURING_PASSWORD_CHANGE, True)
    return view


def access_of(view: Callable[..., Any]) -> frozenset[Role] | str | None:
    """What a view declared (None: nothing, which refuses every request)."""
    value: frozenset[Role] | str | None = getattr(view, _ACCESS, None)
    return value


# --- the signed-in user ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in account, as the checks need it."""

    id: int
    login: str
    name: str
    role: Role
    town_id: str | None
    all_areas: bool
    area_ids: frozenset[str]
    must_change_password: bool
    password_expired: bool


def current_user() -> User | None:
    """The signed-in user of this request, if any."""
    user: User | None = g.get("user")
    return user


def require_user() -> User:
    """The signed-in user (views behind `signed_in` or `roles` always have one)."""
    user = current_user()
    if user is None:
        abort(401)
    return user


def _user_of(account: Account, areas: set[str]) -> User:
    assert account.id is not None  # noqa: S101 - a stored account
    policy = policy_from_config(current_app.config)
    expired = policy.expired(account_queries.password_changed_at(account), datetime.now(UTC))
    return User(
        id=account.id,
        login=account.login,
        name=account.display_name,
        role=Role(account.role),
        town_id=account.town_id,
        all_areas=account.all_areas,
        area_ids=frozenset(areas),
        must_change_password=account.must_change_password,
        password_expired=expired,
    )


def sign_in(account: Account) -> None:
    """Start a new session for the account (a new cookie: no session fixation)."""
    assert account.id is not None  # noqa: S101 - a stored account
    kept = {key: session[key] for key in KEPT_ON_SIGN_OUT if key in session}
    session.clear()
    session.update(kept)
    now = time.time()
    session[SESSION_ACCOUNT] = account.id
    session[SESSION_VERSION] = account.session_version
    session[SESSION_SEEN] = now
    session[SESSION_SINCE] = now
    areas = account_queries.account_areas(session=get_session(), account_id=account.id)
    g.user = _user_of(account, areas)


def sign_out() -> None:
    """End the session (the language choice stays)."""
    kept = {key: session[key] for key in KEPT_ON_SIGN_OUT if key in session}
    session.clear()
    session.update(kept)
    g.user = None


def _idle_seconds() -> float:
    return float(current_app.config["IDLE_TIMEOUT_MINUTES"]) * 60


def _load_user() -> User | None:
    """The session's account, or None (after signing out a session that ran out)."""
    account_id = session.get(SESSION_ACCOUNT)
    if account_id is None:
        return None
    now = time.time()
    seen = float(session.get(SESSION_SEEN, 0))
    since = float(session.get(SESSION_SINCE, 0))
    reason: str | None = None
    account: Account | None = None
    if now - seen > _idle_seconds():
        reason = _("一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。")
    elif now - since > float(current_app.config["SESSION_MAX_HOURS"]) * 3600:
        reason = _("ログインしてから長い時間がたったため、ログアウトしました。")
    else:
        account = account_queries.get_account(session=get_session(), account_id=int(account_id))
        if (
            account is None
            or account.disabled_at is not None
            or account.session_version != session.get(SESSION_VERSION)
        ):
            reason = _(
                "アカウントが変更されたため、ログアウトしました。もう一度ログインしてください。"
            )
    if reason is not None or account is None:
        sign_out()
        if reason:
            flash(reason, "notice")
        return None
    assert account.id is not None  # noqa: S101 - a stored account
    areas = (
        account_queries.account_areas(session=get_session(), account_id=account.id)
        if account.role == Role.STAFF and not account.all_areas
        else set()
    )
    return _user_of(account, areas)


def _current_location() -> str | None:
    """Where the user was, to come back to after signing in (only a page they looked at)."""
    if htmx.is_htmx():
        page = urlsplit(htmx.current_url() or "")
        if page.netloc and page.netloc != request.host:
            return None
        location = page.path + (f"?{page.query}" if page.query else "")
        return location or None
    if request.method == "GET":
        return request.full_path if request.query_string else request.path
    return None


def _redirect(endpoint: str, **values: Any) -> Response:
    return htmx.redirect(url_for(endpoint, **values))


def _check_request() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None  # no such route (404/405 follow), or a static file
    view = current_app.view_functions[endpoint]
    access = access_of(view)
    if access is None:
        current_app.logger.error("view %s declares no access rule; refused", endpoint)
        abort(403)
    user = _load_user()
    g.user = user
    poll = bool(getattr(view, _POLL, False)) and htmx.is_htmx()
    if user is not None and not poll:
        session[SESSION_SEEN] = time.time()
    if access == _PUBLIC:
        return None
    if user is None:
        location = safe_next(_current_location(), "/")
        return _redirect("auth.login", next=None if location == "/" else location)
    if (user.must_change_password or user.password_expired) and not getattr(
        view, _DURING_PASSWORD_CHANGE, False
    ):
        return _redirect("auth.password")
    if user.role not in access:
        abort(403)
    return None


def idle_remaining() -> int | None:
    """Seconds until the idle timeout signs the user out (None when not signed in)."""
    if current_user() is None or SESSION_SEEN not in session:
        return None
    left = _idle_seconds() - (time.time() - float(session[SESSION_SEEN]))
    return max(0, int(left))


# --- the checks the views call ---------------------------------------------------------------


def current_town_id() -> str | None:
    """The town of the signed-in staff member (None for the other roles)."""
    user = current_user()
    return user.town_id if user is not None and user.role is Role.STAFF else None


def can_edit_marks(town_id: str, area_id: str) -> bool:
    """Whether the user may change this town's mark on a function of this area.

    Town staff: their own town, in the areas assigned to them. A moderator: any town, as a
    correction on its behalf that needs a reason (`is_correction`). Nobody else.
    """
    user = current_user()
    if user is None:
        return False
    if user.role is Role.MODERATOR:
        return True
    if user.role is Role.STAFF:
        return user.town_id == town_id and (user.all_areas or area_id in user.area_ids)
    return False


def is_correction(town_id: str) -> bool:
    """Whether a change of this town's mark is made on the town's behalf (by a moderator):
    it then needs a reason, kept in the history and the audit trail."""
    user = current_user()
    return user is not None and user.role is Role.MODERATOR


def require_edit(town_id: str, area_id: str) -> None:
    """Refuse (403) a change of a mark the user may not change."""
    if not can_edit_marks(town_id, area_id):
        abort(403)


def require_role(*allowed: Role) -> None:
    """Refuse (403) everyone but these roles."""
    user = current_user()
    if user is None or user.role not in allowed:
        abort(403)


def can_moderate() -> bool:
    """Whether the user runs meetings and records decisions."""
    user = current_user()
    return user is not None and user.role is Role.MODERATOR


def can_report_action(town_id: str | None) -> bool:
    """Whether the user may mark an action item done (or reopen it): the moderator any item;
    a town's staff the items their town is responsible for (the group's items, without a town,
    are the moderator's to follow up)."""
    user = current_user()
    if user is None:
        return False
    if user.role is Role.MODERATOR:
        return True
    return user.role is Role.STAFF and town_id is not None and user.town_id == town_id


def can_download_exports() -> bool:
    """Whether the user may download the read-only exports (the decision log, the matrix)."""
    user = current_user()
    return user is not None and user.role in EXPORT_ROLES


def can_read_group() -> bool:
    """Whether the user reads the group page and may add a scenario's table to an export."""
    user = current_user()
    return user is not None and user.role in GROUP_ROLES


def may_read_notes() -> bool:
    """Whether the user reads the towns' notes on their marks and the reasons in the history
    (everyone but the vendor, who reads only the reasons of the towns asking for a
    customization, on the request list)."""
    user = current_user()
    return user is not None and user.role is not Role.VENDOR


def is_vendor() -> bool:
    """Whether the user is the vendor."""
    user = current_user()
    return user is not None and user.role is Role.VENDOR


def can_administer() -> bool:
    """Whether the user manages accounts and reads the audit trail."""
    user = current_user()
    return user is not None and user.role is Role.ADMIN


CHANGED_BY_LIMIT = 200  # mark.updated_by, mark_change.changed_by


def changed_by() -> str:
    """The name recorded in the history for a change made by the user."""
    user = require_user()
    # The history's columns hold 200 characters: a long display name is shortened, the
    # login (at most 64) always stays whole.
    room = CHANGED_BY_LIMIT - len(user.login) - 2
    name = user.name if len(user.name) <= room else user.name[: room - 1] + "…"
    return f"{name}（{user.login}）"


def actor() -> audit_queries.Actor:
    """The user and the client address, for the audit trail."""
    user = current_user()
    return audit_queries.Actor(
        name=user.login if user is not None else "anonymous", address=request.remote_addr
    )


def audit(
    session: Session,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    *,
    actor_name: str | None = None,
) -> None:
    """Append an audit record of the current request, in the caller's write transaction."""
    who = actor()
    if actor_name is not None:
        who = audit_queries.Actor(name=actor_name, address=who.address)
    audit_queries.append(session=session, actor=who, action=action, target=target, details=details)


# --- wiring ----------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Register the request check (before CSRF protection) and the template helpers."""
    app.before_request(_check_request)

    @app.after_request
    def _idle_header(response: Response) -> Response:
        remaining = idle_remaining()
        if remaining is not None:
            # fitgap.js moves its warning deadline with every answer it sees.
            response.headers["X-Fitgap-Idle-Remaining"] = str(remaining)
        return response

    @app.context_processor
    def _authz_helpers() -> dict[str, Any]:
        return {
            "current_user": current_user(),
            "can_moderate": can_moderate(),
            "can_administer": can_administer(),
            "is_vendor": is_vendor(),
            "may_read_notes": may_read_notes(),
            "can_download_exports": can_download_exports(),
            "idle_remaining": idle_remaining(),
            "idle_warning_seconds": int(float(app.config["IDLE_WARNING_MINUTES"]) * 60),
        }

    app.jinja_env.filters["role_label"] = role_label
